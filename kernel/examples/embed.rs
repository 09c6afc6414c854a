//! A service's own actix-web app with the Vitals probes mounted beside its routes,
//! plus one custom checker and request metrics. Run: `cargo run --example embed`, then
//! `curl -X POST localhost:8081/jobs; curl localhost:8081/ready?verbose; curl localhost:8081/metrics`.
use actix_web::{App, HttpServer, web};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use vitals::{CheckOutcome, check_fn};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let backlog = Arc::new(AtomicUsize::new(0));
    let depth = backlog.clone();
    let kernel = vitals_kernel::Kernel::builder()
        .checker(check_fn("backlog", move || {
            let n = depth.load(Ordering::Relaxed);
            async move {
                match n {
                    0..100 => CheckOutcome::healthy().with_detail("depth", n),
                    _ => CheckOutcome::degraded(format!("backlog of {n} jobs")),
                }
            }
        }))
        .build()?;
    let probes = kernel.routes(); // /healthz, /ready, /startupz, /health/{group}, /metrics
    let timing = kernel.request_metrics();
    let _background = kernel.start_background().await?; // module start hooks, samplers
    HttpServer::new(move || {
        let backlog = backlog.clone();
        App::new()
            .wrap(timing.clone())
            .configure(probes.clone())
            .route(
                "/jobs",
                web::post().to(move || {
                    let n = backlog.fetch_add(1, Ordering::Relaxed) + 1;
                    async move { format!("queued, backlog {n}\n") }
                }),
            )
    })
    .bind(("127.0.0.1", 8081))?
    .run()
    .await?;
    Ok(())
}
