//! The kernel's endpoints as one service, for an app's default service: actix tries it only after
//! every one of the app's routes failed to match, so the app's own routes pay nothing for the
//! probes being mounted (actix matches resources one by one, in registration order).
use crate::health::{method_not_allowed, probe};
use crate::metrics_endpoint::metrics;
use crate::{HealthState, MetricsState};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use vitals::HealthGroup;

/// The route template a dispatched request counts under in request metrics (the templates of
/// [`DEFAULT_EXCLUDED`](crate::request_metrics::DEFAULT_EXCLUDED), so by default they are not
/// measured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointTemplate(pub &'static str);

/// Which endpoint a path names.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint {
    Probe(HealthGroup, Option<String>),
    Metrics,
}

fn builtin(segment: &str) -> Option<(HealthGroup, &'static str, &'static str)> {
    Some(match segment {
        "healthz" => (HealthGroup::Liveness, "/healthz", "/healthz/{check}"),
        "livez" => (HealthGroup::Liveness, "/livez", "/livez/{check}"),
        "ready" => (HealthGroup::Readiness, "/ready", "/ready/{check}"),
        "readyz" => (HealthGroup::Readiness, "/readyz", "/readyz/{check}"),
        "startupz" => (HealthGroup::Startup, "/startupz", "/startupz/{check}"),
        _ => return None,
    })
}

/// The endpoint and its template for `path`, or `None` when it is not one of the kernel's.
fn route(path: &str) -> Option<(Endpoint, &'static str)> {
    let rest = path.strip_prefix('/')?;
    let mut parts = rest.split('/');
    let first = parts.next()?;
    let second = parts.next();
    let third = parts.next();
    if parts.next().is_some() || [second, third].contains(&Some("")) {
        return None;
    }
    match (first, second, third) {
        ("metrics", None, None) => Some((Endpoint::Metrics, "/metrics")),
        ("health", None, None) => Some((Endpoint::Probe(HealthGroup::Readiness, None), "/health")),
        ("health", Some(group), None) => Some((
            Endpoint::Probe(HealthGroup::parse(group), None),
            "/health/{group}",
        )),
        ("health", Some(group), Some(check)) => Some((
            Endpoint::Probe(HealthGroup::parse(group), Some(check.to_owned())),
            "/health/{group}/{check}",
        )),
        (p, None, None) => builtin(p).map(|(g, t, _)| (Endpoint::Probe(g, None), t)),
        (p, Some(check), None) => {
            builtin(p).map(|(g, _, t)| (Endpoint::Probe(g, Some(check.to_owned())), t))
        }
        _ => None,
    }
}

/// Serves the kernel's endpoints from an app's default service; any other path is a 404, as
/// actix answers by default. Needs the [`HealthState`] and [`MetricsState`] as app data.
pub async fn dispatch(req: HttpRequest) -> HttpResponse {
    let Some((endpoint, template)) = route(req.path()) else {
        return HttpResponse::NotFound().finish();
    };
    req.extensions_mut().insert(EndpointTemplate(template));
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return method_not_allowed();
    }
    match endpoint {
        Endpoint::Probe(group, check) => match req.app_data::<web::Data<HealthState>>().cloned() {
            Some(state) => probe(req, state, group, check).await,
            None => missing("health state"),
        },
        Endpoint::Metrics => match req.app_data::<web::Data<MetricsState>>().cloned() {
            Some(state) => metrics(req, state).await,
            None => missing("metrics state"),
        },
    }
}

fn missing(what: &str) -> HttpResponse {
    tracing::error!("kernel endpoints dispatched without the {what} as app data");
    HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR).body("endpoint not configured")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_endpoint_and_its_template() {
        let probe = |g: HealthGroup, c: Option<&str>, t: &'static str| {
            Some((Endpoint::Probe(g, c.map(str::to_owned)), t))
        };
        let table = [
            ("/metrics", Some((Endpoint::Metrics, "/metrics"))),
            ("/healthz", probe(HealthGroup::Liveness, None, "/healthz")),
            (
                "/livez/ping",
                probe(HealthGroup::Liveness, Some("ping"), "/livez/{check}"),
            ),
            ("/readyz", probe(HealthGroup::Readiness, None, "/readyz")),
            (
                "/ready/db",
                probe(HealthGroup::Readiness, Some("db"), "/ready/{check}"),
            ),
            ("/startupz", probe(HealthGroup::Startup, None, "/startupz")),
            ("/health", probe(HealthGroup::Readiness, None, "/health")),
            (
                "/health/billing",
                probe(HealthGroup::custom("billing"), None, "/health/{group}"),
            ),
            (
                "/health/billing/ledger",
                probe(
                    HealthGroup::custom("billing"),
                    Some("ledger"),
                    "/health/{group}/{check}",
                ),
            ),
            ("/hello", None),
            ("/", None),
            ("/metrics/x", None),
            ("/healthz/", None),
            ("/ready/db/extra", None),
            ("/health/a/b/c", None),
            ("healthz", None),
        ];
        for (path, want) in table {
            assert_eq!(route(path), want, "{path}");
        }
    }
}
