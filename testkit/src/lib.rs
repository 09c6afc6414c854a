//! Test kit for module authors: fake checkers ([`failing`], [`panicking`], [`sleeping`],
//! [`Counting`]), a [`Registrar`] that keeps what a module registers, and a [`TestRecorder`] whose
//! values a test reads — so a module's tests need neither a kernel nor a Prometheus registry.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::sync::Arc;
//! use vitals::{check_fn, CheckOutcome, Error, Module, ModuleContext};
//! use vitals_testkit::{Registrar, TestRecorder};
//!
//! struct Jobs;
//! impl Module for Jobs {
//!     fn name(&self) -> &str { "jobs" }
//!     fn register(&self, ctx: &ModuleContext) -> Result<(), Error> {
//!         ctx.add_checker(check_fn("queue", || async { CheckOutcome::healthy() }))?;
//!         ctx.metrics().counter("jobs_done_total", "Jobs finished.")?.inc_by(2);
//!         Ok(())
//!     }
//! }
//!
//! let registrar = Arc::new(Registrar::default());
//! let recorder = TestRecorder::new();
//! Jobs.register(&ModuleContext::new(registrar.clone(), recorder.metrics())).unwrap();
//! assert_eq!(recorder.value("jobs_done_total", &[]), Some(2.0));
//! let queue = registrar.checker("queue").unwrap();
//! assert_eq!(queue.check().await.status(), vitals::HealthStatus::Healthy);
//! # }
//! ```
#![warn(missing_docs)]
mod fakes;
mod recorder;

pub use fakes::{Counting, Registrar, failing, panicking, sleeping};
pub use recorder::TestRecorder;
