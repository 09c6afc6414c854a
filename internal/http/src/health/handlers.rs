use super::query::ProbeQuery;
use super::{json, verbose};
use crate::AccessPolicy;
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use vitals::HealthGroup;
use vitals_health::{HealthRegistry, HealthReport};

/// What the probe handlers need: the registry and the access policy.
#[derive(Clone)]
pub struct HealthState {
    /// The kernel's health registry.
    pub registry: HealthRegistry,
    /// Who sees reasons and details.
    pub access: AccessPolicy,
    /// The status page and its history; `None` when turned off.
    pub status: Option<crate::StatusState>,
}

/// `405 Method Not Allowed` with `Allow: GET, HEAD`: the answer of every kernel endpoint to any
/// other method, however it is served.
pub(crate) fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((ALLOW, "GET, HEAD"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body("method not allowed: use GET or HEAD")
}

fn problem(status: StatusCode, reason: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(json!({ "status": "fail", "output": reason }))
}

pub(crate) async fn probe(
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
            if !registry.knows_group(&group) {
                return problem(
                    StatusCode::NOT_FOUND,
                    format!("no health group {:?}", group.as_str()),
                );
            }
            registry.run_group(&group, &query.exclude).await
        }
    };
    let caller = state.access.classify(&req);
    let details = state.access.shows_details(caller);
    // With scrapes protected, an anonymous caller (the kubelet) gets the overall status only.
    let report = if state.access.status_only(caller) {
        HealthReport {
            checks: Vec::new(),
            excluded: Vec::new(),
            unknown_excludes: Vec::new(),
            ..report
        }
    } else {
        report
    };
    let code = if report.serves() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
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
