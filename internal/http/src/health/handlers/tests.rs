use super::*;
use crate::DetailPolicy;
use actix_web::{App, test};
use std::sync::Arc;
use std::time::Duration;
use vitals::{CheckOutcome, CheckerExt, Dependency, check_fn};
use vitals_judges::{failing, sleeping};

fn registry() -> HealthRegistry {
    let reg = HealthRegistry::default();
    reg.add(Arc::new(
        sleeping("ping", Duration::ZERO)
            .with_groups([HealthGroup::Liveness, HealthGroup::Readiness])
            .with_dependency(Dependency::Local),
    ))
    .unwrap();
    reg.add(Arc::new(failing("redis", "connection refused")))
        .unwrap();
    reg.add(Arc::new(
        check_fn("cache", || async {
            CheckOutcome::degraded("hit ratio 0.2").with_detail("ratio", 0.2)
        })
        .with_groups([HealthGroup::custom("backing")]),
    ))
    .unwrap();
    reg
}

async fn call(details: DetailPolicy, uri: &str) -> (u16, String) {
    let state = HealthState {
        registry: registry(),
        access: AccessPolicy::new(None, details),
        status: None,
    };
    let app = test::init_service(
        App::new()
            .app_data(actix_web::web::Data::new(state))
            .default_service(actix_web::web::to(crate::dispatch)),
    )
    .await;
    let resp = test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
    let status = resp.status().as_u16();
    let body = test::read_body(resp).await;
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[actix_web::test]
async fn verbose_bodies_are_exact() {
    let table = [
        (
            "/healthz?verbose",
            200,
            "[+]ping ok\nliveness check passed\n",
        ),
        (
            "/ready?verbose",
            503,
            "[+]ping ok\n[-]redis failed: reason withheld\nreadiness check failed\n",
        ),
        (
            "/ready?verbose&exclude=redis",
            200,
            "[+]ping ok\n[+]redis excluded: ok\nreadiness check passed\n",
        ),
        (
            "/ready?verbose&exclude=redis&exclude=nope",
            200,
            "[+]ping ok\n[+]redis excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"nope\"\nreadiness check passed\n",
        ),
        (
            "/ready/ping?verbose",
            200,
            "[+]ping ok\nreadiness check passed\n",
        ),
        (
            "/health/backing?verbose",
            200,
            "[!]cache degraded: reason withheld\nbacking check passed\n",
        ),
        ("/startupz?verbose", 200, "startup check passed\n"),
    ];
    for (uri, code, body) in table {
        assert_eq!(
            call(DetailPolicy::Never, uri).await,
            (code, body.to_owned()),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn reasons_are_shown_when_details_are_allowed() {
    let (code, body) = call(DetailPolicy::Always, "/ready?verbose").await;
    assert_eq!(code, 503);
    assert_eq!(
        body,
        "[+]ping ok\n[-]redis failed: connection refused\nreadiness check failed\n"
    );
}

#[actix_web::test]
async fn json_body_follows_the_health_check_response_format() {
    let (code, body) = call(DetailPolicy::Never, "/ready").await;
    assert_eq!(code, 503);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "fail");
    assert_eq!(v["description"], "readiness");
    assert_eq!(v["checks"]["ping"][0]["status"], "pass");
    assert!(v["checks"]["ping"][0].get("output").is_none());
    assert_eq!(v["checks"]["redis"][0]["status"], "fail");
    assert_eq!(v["checks"]["redis"][0]["output"], "reason withheld");
    assert_eq!(v["checks"]["redis"][0]["critical"], true);
    assert!(
        v["checks"]["redis"][0]["time"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert!(v["checks"]["redis"][0]["duration"].as_f64().unwrap() >= 0.0);

    let (code, body) = call(DetailPolicy::Always, "/health/backing").await;
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "warn");
    assert_eq!(v["checks"]["cache"][0]["output"], "hit ratio 0.2");
    assert_eq!(v["checks"]["cache"][0]["details"]["ratio"], 0.2);
}

#[actix_web::test]
async fn unknown_targets_and_bad_queries_get_4xx_with_a_reason() {
    let table = [
        ("/ready/nope", 404, "no check \"nope\" in group readiness"),
        (
            "/healthz/redis",
            404,
            "no check \"redis\" in group liveness",
        ),
        ("/health/nothing", 404, "no health group \"nothing\""),
        (
            "/ready?exclude=",
            400,
            "exclude needs a check name: exclude=<name>",
        ),
    ];
    for (uri, code, reason) in table {
        let (got, body) = call(DetailPolicy::Never, uri).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (got, v["output"].as_str().unwrap()),
            (code, reason),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn probes_answer_head_and_refuse_other_methods_with_405_and_allow() {
    let state = HealthState {
        registry: registry(),
        access: AccessPolicy::new(None, DetailPolicy::Never),
        status: None,
    };
    let app = test::init_service(
        App::new()
            .app_data(actix_web::web::Data::new(state))
            .default_service(actix_web::web::to(crate::dispatch)),
    )
    .await;
    let table = [
        ("GET", "/livez", 200),
        ("HEAD", "/livez", 200),
        ("HEAD", "/healthz", 200),
        ("GET", "/readyz", 503),
        ("HEAD", "/ready", 503),
        ("HEAD", "/readyz/redis", 503),
        ("GET", "/livez/ping", 200),
        ("HEAD", "/health/backing", 200),
        ("POST", "/healthz", 405),
        ("PUT", "/readyz", 405),
        ("DELETE", "/ready/redis", 405),
        ("POST", "/health/backing/cache", 405),
        ("OPTIONS", "/startupz", 405),
    ];
    for (method, uri, code) in table {
        let req = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(uri)
            .to_request();
        let resp = test::call_service(&app, req).await;
        assert_eq!(resp.status().as_u16(), code, "{method} {uri}");
        if code == 405 {
            assert_eq!(
                resp.headers().get("allow").unwrap(),
                "GET, HEAD",
                "{method} {uri}"
            );
        }
    }
}
