use super::query::ProbeQuery;
use super::{json, verbose};
use crate::AccessPolicy;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use vitals::{HealthGroup, HealthStatus};
use vitals_health::HealthRegistry;

/// What the probe handlers need: the registry and the access policy.
#[derive(Clone)]
pub struct HealthState {
    /// The kernel's health registry.
    pub registry: HealthRegistry,
    /// Who sees reasons and details.
    pub access: AccessPolicy,
}

/// Mounts the probe endpoints:
/// `/healthz`, `/ready`, `/startupz`, `/health` (readiness), `/health/{group}`, and
/// `<each>/{check}` for one check.
pub fn configure_health(cfg: &mut web::ServiceConfig, state: HealthState) {
    cfg.app_data(web::Data::new(state));
    for (path, group) in [
        ("/healthz", HealthGroup::Liveness),
        ("/ready", HealthGroup::Readiness),
        ("/startupz", HealthGroup::Startup),
    ] {
        let g = group.clone();
        cfg.route(
            path,
            web::get().to(move |req: HttpRequest, state: web::Data<HealthState>| {
                probe(req, state, g.clone(), None)
            }),
        );
        cfg.route(
            &format!("{path}/{{check}}"),
            web::get().to(
                move |req: HttpRequest, state: web::Data<HealthState>, check: web::Path<String>| {
                    probe(req, state, group.clone(), Some(check.into_inner()))
                },
            ),
        );
    }
    cfg.route(
        "/health",
        web::get().to(|req: HttpRequest, state: web::Data<HealthState>| {
            probe(req, state, HealthGroup::Readiness, None)
        }),
    );
    cfg.route(
        "/health/{group}",
        web::get().to(
            |req: HttpRequest, state: web::Data<HealthState>, group: web::Path<String>| {
                probe(req, state, HealthGroup::parse(&group), None)
            },
        ),
    );
    cfg.route(
        "/health/{group}/{check}",
        web::get().to(
            |req: HttpRequest, state: web::Data<HealthState>, path: web::Path<(String, String)>| {
                let (group, check) = path.into_inner();
                probe(req, state, HealthGroup::parse(&group), Some(check))
            },
        ),
    );
}

fn problem(status: StatusCode, reason: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(json!({ "status": "fail", "output": reason }))
}

async fn probe(
    req: HttpRequest,
    state: web::Data<HealthState>,
    group: HealthGroup,
    check: Option<String>,
) -> HttpResponse {
    let query = match ProbeQuery::parse(req.query_string()) {
        Ok(q) => q,
        Err(reason) => return problem(StatusCode::BAD_REQUEST, reason),
    };
    let registry = &state.registry;
    let report = match &check {
        Some(name) => match registry.run_check(&group, name).await {
            Some(r) => r,
            None => {
                return problem(
                    StatusCode::NOT_FOUND,
                    format!("no check {name:?} in group {group}"),
                );
            }
        },
        None => {
            if matches!(group, HealthGroup::Custom(_)) && !registry.has_group(&group) {
                return problem(
                    StatusCode::NOT_FOUND,
                    format!("no health group {:?}", group.as_str()),
                );
            }
            registry.run_group(&group, &query.exclude).await
        }
    };
    let details = state.access.shows_details(state.access.classify(&req));
    let code = if report.status == HealthStatus::Unhealthy {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let mut resp = HttpResponse::build(code);
    resp.insert_header((CACHE_CONTROL, "no-store"));
    if query.verbose {
        resp.insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body(verbose::render(&report, details))
    } else {
        resp.insert_header((CONTENT_TYPE, "application/health+json"))
            .body(json::render(&report, details).to_string())
    }
}

#[cfg(test)]
mod tests;
