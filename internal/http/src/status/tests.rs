use crate::{AccessPolicy, DetailPolicy, HealthState, StatusState};
use actix_web::{App, test, web};
use std::sync::Arc;
use vitals::{CheckOutcome, check_fn};
use vitals_health::{HealthRegistry, RegistryConfig};
use vitals_status::{CheckHistory, HistoryConfig, StatusDocument, Word};

const HOSTILE: &str = "<script>alert(1)</script>";

fn state(details: DetailPolicy, token: Option<&str>) -> HealthState {
    let history = CheckHistory::new(HistoryConfig::default());
    let registry = HealthRegistry::new(RegistryConfig {
        observers: vec![history.observer()],
        ..RegistryConfig::default()
    });
    registry
        .add(Arc::new(check_fn("db", || async {
            CheckOutcome::unhealthy(HOSTILE)
        })))
        .unwrap();
    HealthState {
        registry,
        access: AccessPolicy::new(token.map(str::to_owned), details),
        status: Some(StatusState::new("/status", history)),
    }
}

async fn get(
    state: HealthState,
    uri: &str,
    token: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .default_service(web::to(crate::dispatch)),
    )
    .await;
    let mut req = test::TestRequest::get().uri(uri);
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    let resp = test::call_service(&app, req.to_request()).await;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let body = test::read_body(resp).await;
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[actix_web::test]
async fn the_history_document_runs_the_checks_and_withholds_reasons_from_anonymous_callers() {
    let (code, headers, body) = get(
        state(DetailPolicy::Authorised, Some("t")),
        "/status/history",
        None,
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(header(&headers, "content-type"), Some("application/json"));
    let doc: StatusDocument = serde_json::from_str(&body).unwrap();
    assert!(!doc.details);
    assert_eq!(doc.status, Word::Fail);
    assert_eq!(doc.checks.len(), 1);
    assert_eq!(
        doc.checks[0].readings.len(),
        1,
        "the request ran the check once"
    );
    assert_eq!(doc.checks[0].reason, None);
    assert!(!body.contains("alert"), "{body}");
}

#[actix_web::test]
async fn the_token_shows_reasons() {
    let (_, _, body) = get(
        state(DetailPolicy::Authorised, Some("t")),
        "/status/history",
        Some("t"),
    )
    .await;
    let doc: StatusDocument = serde_json::from_str(&body).unwrap();
    assert!(doc.details);
    assert_eq!(doc.checks[0].reason.as_deref(), Some(HOSTILE));
    assert_eq!(doc.transitions.len(), 1);
    assert_eq!(doc.transitions[0].reason.as_deref(), Some(HOSTILE));
}

#[actix_web::test]
async fn the_page_is_html_under_a_strict_policy_and_escapes_reasons() {
    let (code, headers, body) = get(state(DetailPolicy::Always, None), "/status", None).await;
    assert_eq!(code, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = header(&headers, "content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!body.contains(HOSTILE), "the reason must be escaped");
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the reason is shown, as text"
    );
}

#[actix_web::test]
async fn the_page_withholds_reasons_from_anonymous_callers_everywhere() {
    let (code, _, body) = get(state(DetailPolicy::Authorised, Some("t")), "/status", None).await;
    assert_eq!(code, 200);
    assert!(body.contains("reasons and details withheld"), "{body}");
    // Not in the check's card, its strip's tooltips nor the transitions.
    assert!(!body.contains("alert"), "{body}");
    let (_, _, body) = get(
        state(DetailPolicy::Authorised, Some("t")),
        "/status",
        Some("t"),
    )
    .await;
    assert!(body.contains("alert"), "the token shows them");
}

#[actix_web::test]
async fn other_paths_below_are_404_and_other_methods_405() {
    let (code, _, _) = get(state(DetailPolicy::Always, None), "/status/nothing", None).await;
    assert_eq!(code, 404);
    let (code, _, _) = get(state(DetailPolicy::Always, None), "/statusx", None).await;
    assert_eq!(code, 404);
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(state(DetailPolicy::Always, None)))
            .default_service(web::to(crate::dispatch)),
    )
    .await;
    let resp =
        test::call_service(&app, test::TestRequest::post().uri("/status").to_request()).await;
    assert_eq!(resp.status().as_u16(), 405);
}

#[actix_web::test]
async fn with_scrapes_protected_an_anonymous_caller_sees_the_groups_and_no_check() {
    let protect = |mut s: HealthState| {
        s.access = s.access.protect_scrapes(Some("m".into()), Vec::new());
        s
    };
    let (code, _, body) = get(
        protect(state(DetailPolicy::Authorised, Some("t"))),
        "/status/history",
        None,
    )
    .await;
    assert_eq!(code, 200);
    let doc: StatusDocument = serde_json::from_str(&body).unwrap();
    assert_eq!(doc.status, Word::Fail);
    assert_eq!(doc.groups.len(), 3, "{body}");
    assert!(
        doc.checks.is_empty() && doc.transitions.is_empty(),
        "{body}"
    );
    assert!(!body.contains("db"), "no check name: {body}");
    let (_, _, page) = get(
        protect(state(DetailPolicy::Authorised, Some("t"))),
        "/status",
        None,
    )
    .await;
    assert!(!page.contains("db"), "no check name on the page: {page}");
    let (_, _, body) = get(
        protect(state(DetailPolicy::Authorised, Some("t"))),
        "/status/history",
        Some("m"),
    )
    .await;
    let doc: StatusDocument = serde_json::from_str(&body).unwrap();
    assert_eq!(doc.checks.len(), 1, "the scrape token shows the checks");
}

struct Pages;

#[vitals::async_trait]
impl vitals::pages::StatusPages for Pages {
    async fn get(&self, _: vitals::pages::PageRequest) -> vitals::pages::PageResponse {
        vitals::pages::PageResponse::html(200, "fleet".into())
    }
}

#[actix_web::test]
async fn with_scrapes_protected_a_modules_pages_need_the_token() {
    let protected = || {
        let mut s = state(DetailPolicy::Authorised, Some("t"));
        s.access = s.access.protect_scrapes(Some("m".into()), Vec::new());
        s.status.as_mut().unwrap().pages = Some(Arc::new(Pages));
        s
    };
    let (code, headers, _) = get(protected(), "/status", None).await;
    assert_eq!(code, 401);
    assert_eq!(header(&headers, "www-authenticate"), Some("Bearer"));
    let (code, _, body) = get(protected(), "/status", Some("m")).await;
    assert_eq!((code, body.as_str()), (200, "fleet"));
}
