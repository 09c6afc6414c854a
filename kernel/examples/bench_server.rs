//! The server `scripts/bench.sh` measures over the wire: one actix worker serving `GET /hello`
//! (plus `GET /hello/{name}`, which `scripts/instructions.sh` counts, and two more app routes),
//! in one of these variants:
//! `bare` (actix-web alone), `vitals` (embedded the documented way: `Embedded::mount`),
//! `middleware` (the request-timing middleware only), `routes` (the probe routes only, mounted
//! before the app's), `prom` (actix-web-prom 0.10 with the same labels and buckets);
//! `vitals-timed` and `middleware-timed` are `vitals` and `middleware` with the app's routes
//! registered through `timed_resource`.
//! Usage: `bench_server VARIANT ADDR`.
use actix_web::{App, HttpResponse, HttpServer, web};
use std::collections::HashMap;

fn app_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/hello",
        web::get().to(|| async { HttpResponse::Ok().body("hello") }),
    )
    .route(
        "/hello/{name}",
        web::get().to(|name: web::Path<String>| async move { format!("hello {name}") }),
    )
    .route("/users/{id}", web::get().to(|| async { "user" }))
    .route("/orders/{id}", web::post().to(|| async { "order" }));
}

/// The same routes registered with `timed_resource`, which carries each route's template.
fn timed_routes(cfg: &mut web::ServiceConfig) {
    use vitals_kernel::timed_resource;
    cfg.service(
        timed_resource("/hello")
            .route(web::get().to(|| async { HttpResponse::Ok().body("hello") })),
    )
    .service(
        timed_resource("/hello/{name}")
            .route(web::get().to(|name: web::Path<String>| async move { format!("hello {name}") })),
    )
    .service(timed_resource("/users/{id}").route(web::get().to(|| async { "user" })))
    .service(timed_resource("/orders/{id}").route(web::post().to(|| async { "order" })));
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_else(|| "bare".into());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8090".into());
    let vitals = vitals_kernel::Kernel::builder()
        .handle_signals(false)
        .build()?
        .embed()
        .await?;
    let prom = actix_web_prom::PrometheusMetricsBuilder::new("")
        .endpoint("/metrics")
        .buckets(&vitals_http::request_metrics::DEFAULT_BUCKETS)
        .const_labels(HashMap::new())
        .build()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("bench_server {variant} on {addr}");
    // One worker: the load generator runs on the other core.
    macro_rules! serve {
        ($factory:expr) => {
            HttpServer::new($factory)
                .workers(1)
                .bind(&addr)?
                .run()
                .await?
        };
    }
    match variant.as_str() {
        "bare" => serve!(|| App::new().configure(app_routes)),
        "vitals" => serve!(move || vitals.mount(App::new()).configure(app_routes)),
        "vitals-timed" => serve!(move || vitals.mount(App::new()).configure(timed_routes)),
        "middleware" => {
            let timing = vitals.middleware();
            serve!(move || App::new().wrap(timing.clone()).configure(app_routes))
        }
        "middleware-timed" => {
            let timing = vitals.middleware();
            serve!(move || App::new().wrap(timing.clone()).configure(timed_routes))
        }
        "routes" => {
            let routes = vitals.routes();
            serve!(move || App::new().configure(routes.clone()).configure(app_routes))
        }
        "prom" => serve!(move || App::new().wrap(prom.clone()).configure(app_routes)),
        other => {
            anyhow::bail!("unknown variant {other}: use bare, vitals, middleware, routes or prom")
        }
    }
    Ok(())
}
