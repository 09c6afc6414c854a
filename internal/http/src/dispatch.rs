//! The kernel's endpoints served by one handler, from the table in `endpoints.rs`: as an app's
//! default service (actix tries it only after every one of the app's routes failed to match, so
//! the app's own routes pay nothing for the probes being mounted), or as resources an app
//! places itself ([`configure_endpoints`]).
use crate::endpoints::{ENDPOINTS, matching};
use crate::health::{method_not_allowed, probe};
use crate::metrics_endpoint::metrics as metrics_endpoint;
use crate::status::serve_status;
use crate::{HealthState, MetricsState};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

/// The route template a dispatched request counts under in request metrics (a template of the
/// endpoint table; by default not measured, see [`default_excluded`](crate::default_excluded)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointTemplate(pub &'static str);

/// Serves the kernel's endpoints from an app's default service; any other path is a 404, as
/// actix answers by default. Needs the [`HealthState`] and [`MetricsState`] as app data.
pub async fn dispatch(req: HttpRequest) -> HttpResponse {
    let health = req.app_data::<web::Data<HealthState>>().cloned();
    let metrics = req.app_data::<web::Data<MetricsState>>().cloned();
    serve(req, health, metrics).await
}

/// [`dispatch`] with the states given rather than read from app data: an app's default service
/// that holds them itself (`Embedded::mount`) adds nothing to the app data its own routes'
/// extractors search on every request.
pub async fn dispatch_with(
    req: HttpRequest,
    health: web::Data<HealthState>,
    metrics: web::Data<MetricsState>,
) -> HttpResponse {
    serve(req, Some(health), Some(metrics)).await
}

async fn serve(
    req: HttpRequest,
    health: Option<web::Data<HealthState>>,
    metrics: Option<web::Data<MetricsState>>,
) -> HttpResponse {
    if let Some(health) = &health
        && let Some(status) = &health.status
        && let Some(below) = status.below(req.path())
    {
        req.extensions_mut()
            .insert(EndpointTemplate(status.template(below)));
        return serve_status(&req, health, status, below).await;
    }
    let Some((template, group, check)) = matching(req.path()).map(|m| {
        (
            m.endpoint.template,
            m.health_group(),
            m.check.map(str::to_owned),
        )
    }) else {
        return HttpResponse::NotFound().finish();
    };
    req.extensions_mut().insert(EndpointTemplate(template));
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return method_not_allowed();
    }
    match group {
        Some(group) => match health {
            Some(state) => probe(req, state, group, check).await,
            None => missing("health state"),
        },
        None => match metrics {
            Some(state) => metrics_endpoint(req, state).await,
            None => missing("metrics state"),
        },
    }
}

/// Mounts every endpoint of the table (and the status page, when on) on `cfg`, for an app that places them itself: each
/// template is a resource served by [`dispatch`] (the same code as the default service), with
/// the [`HealthState`] and [`MetricsState`] as app data.
pub fn configure_endpoints(
    cfg: &mut web::ServiceConfig,
    health: HealthState,
    metrics: MetricsState,
) {
    let status = health.status.clone();
    cfg.app_data(web::Data::new(health))
        .app_data(web::Data::new(metrics));
    for e in &ENDPOINTS {
        cfg.service(web::resource(e.template).to(dispatch));
    }
    for template in status.iter().flat_map(|s| s.resources()) {
        cfg.service(web::resource(template).to(dispatch));
    }
}

fn missing(what: &str) -> HttpResponse {
    tracing::error!("kernel endpoints dispatched without the {what} as app data");
    HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR).body("endpoint not configured")
}
