use super::StatusState;
use crate::HealthState;
use crate::health::method_not_allowed;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use vitals::HealthGroup;
use vitals::pages::PageRequest;
use vitals_status::page::{self, PageOptions};

/// Serves `below` (the path below the status path: `""`, `history`, or a module's page).
pub(crate) async fn serve_status(
    req: &HttpRequest,
    health: &HealthState,
    status: &StatusState,
    below: &str,
) -> HttpResponse {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return method_not_allowed();
    }
    let caller = health.access.classify(req);
    let details = health.access.shows_details(caller);
    // With scrapes protected, an anonymous caller learns no check's name (as on the probes).
    let groups_only = health.access.status_only(caller);
    if below != "history"
        && let Some(pages) = &status.pages
    {
        if groups_only {
            // A module's pages (the fleet) name other services' checks: not for anonymous
            // callers once scrapes are protected.
            return HttpResponse::Unauthorized()
                .insert_header((CACHE_CONTROL, "no-store"))
                .insert_header(("www-authenticate", "Bearer"))
                .body("scrapes are protected: present the bearer token to see these pages");
        }
        let answer = pages
            .get(PageRequest {
                path: below.to_owned(),
                base: status.path().to_owned(),
                query: req.query_string().to_owned(),
                details,
            })
            .await;
        let mut resp = HttpResponse::build(
            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
        headers(&mut resp, answer.content_type);
        return resp.body(answer.body);
    }
    if !matches!(below, "" | "history") {
        return HttpResponse::NotFound()
            .insert_header((CACHE_CONTROL, "no-store"))
            .body(format!(
                "no such page: the status page is {path}, its data {path}/history",
                path = status.path()
            ));
    }
    refresh(health).await;
    let mut doc = status
        .history
        .document(&health.registry, status.service.as_ref(), details);
    if groups_only {
        doc = doc.groups_only();
    }
    let mut resp = HttpResponse::Ok();
    if below == "history" {
        headers(&mut resp, "application/json");
        return resp.body(serde_json::to_string(&doc).unwrap_or_default());
    }
    headers(&mut resp, page::CONTENT_TYPE);
    resp.body(page::service(
        &doc,
        &PageOptions {
            base: status.path(),
            refresh_seconds: status.refresh_seconds,
        },
    ))
}

fn headers(resp: &mut actix_web::HttpResponseBuilder, content_type: &str) {
    resp.insert_header((CONTENT_TYPE, content_type.to_owned()))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("referrer-policy", "no-referrer"));
    if content_type.starts_with("text/html") {
        resp.insert_header(("content-security-policy", page::content_security_policy()));
    }
}

/// Without background mode readings come only from probes: run every group (within each
/// check's cache, coalesced with concurrent probes) so the page is as fresh as a probe.
async fn refresh(health: &HealthState) {
    let registry = &health.registry;
    if registry.config().background.is_some() {
        return;
    }
    let mut groups = vec![
        HealthGroup::Liveness,
        HealthGroup::Readiness,
        HealthGroup::Startup,
    ];
    for s in registry.states() {
        for g in s.groups {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
    }
    futures_util::future::join_all(groups.iter().map(|g| registry.run_group(g, &[]))).await;
}
