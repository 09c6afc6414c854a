//! A service's own actix-web app with Vitals embedded in one call: settings from the environment,
//! logging, background work, the probes and `/metrics`, request timing, graceful shutdown.
//! Run: `cargo run --example embed`, then
//! `curl -X POST localhost:8081/jobs; curl localhost:8081/ready?verbose; curl localhost:8081/metrics`.
use actix_web::{App, HttpServer, web};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use vitals::{CheckOutcome, check_fn};
use vitals_kernel::Kernel;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let backlog = Arc::new(AtomicUsize::new(0));
    let depth = backlog.clone();
    let vitals = Kernel::from_env()?
        .checker(check_fn("backlog", move || {
            let n = depth.load(Ordering::Relaxed);
            async move {
                match n {
                    0..100 => CheckOutcome::healthy().with_detail("depth", n),
                    _ => CheckOutcome::degraded(format!("backlog of {n} jobs")),
                }
            }
        }))
        .build()?
        .embed()
        .await?;
    let v = vitals.clone();
    let server = HttpServer::new(move || {
        let backlog = backlog.clone();
        v.mount(App::new()).route(
            "/jobs",
            web::post().to(move || {
                let n = backlog.fetch_add(1, Ordering::Relaxed) + 1;
                async move { format!("queued, backlog {n}\n") }
            }),
        )
    })
    .bind(("127.0.0.1", 8081))?;
    vitals.serve(server).await?;
    Ok(())
}
