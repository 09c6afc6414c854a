//! A fixed number of in-process requests, with or without `RequestMetrics`, for an instruction
//! profile of the middleware (valgrind's callgrind counts instructions, so the same run gives
//! the same figures on a noisy machine):
//!
//! ```text
//! cargo build --release -p vitals-http --example request_profile
//! valgrind --tool=callgrind target/release/examples/request_profile timed 100000
//! valgrind --tool=callgrind target/release/examples/request_profile bare 100000
//! ```
//!
//! `timed-resource` and `resource` are the same with the route registered through
//! `timed_resource` and `web::resource`.
use actix_web::{App, test, web};
use vitals_http::RequestMetrics;

/// Sends `n` requests to `/users/42` and reads every body.
async fn drive<S, B>(service: S, n: usize)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    for _ in 0..n {
        let req = test::TestRequest::get().uri("/users/42").to_request();
        let resp = test::call_service(&service, req).await;
        std::hint::black_box(test::read_body(resp).await);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_else(|| "timed".into());
    let n: usize = args
        .next()
        .map_or(100_000, |a| a.parse().expect("a request count"));
    actix_web::rt::System::new().block_on(async move {
        let route = || web::get().to(|| async { "user" });
        let metrics = vitals_prometheus::PrometheusRecorder::new();
        if variant == "timed" {
            let app = App::new()
                .wrap(RequestMetrics::builder(&metrics).build().unwrap())
                .route("/users/{id}", route());
            drive(test::init_service(app).await, n).await;
        } else if variant == "timed-resource" {
            let app = App::new()
                .wrap(RequestMetrics::builder(&metrics).build().unwrap())
                .service(vitals_http::timed_resource("/users/{id}").route(route()));
            drive(test::init_service(app).await, n).await;
        } else if variant == "resource" {
            let app = App::new().service(web::resource("/users/{id}").route(route()));
            drive(test::init_service(app).await, n).await;
        } else {
            let app = App::new().route("/users/{id}", route());
            drive(test::init_service(app).await, n).await;
        }
        println!("{variant}: {n} requests");
    });
}
