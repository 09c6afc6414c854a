//! The fleet view of a collector: polls services' status documents (`GET /status/history`),
//! keeps their history, uptime and incidents in the database, serves the fleet pages.
//! Entry point [`FleetModule`]; settings [`FleetConfig`]; the tables [`FleetStore`].
//!
//! # Settings
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `VITALS_STATUS_TARGETS` | unset (off) | `name=url,…`: names `[a-z0-9_-]{1,64}`, unique; each URL a service's `http(s)://…/status/history` |
//! | `VITALS_STATUS_POLL_INTERVAL` | `15s` | time between two polls of every target |
//! | `VITALS_STATUS_POLL_TIMEOUT` | `5s` | deadline of one poll; shorter than the interval |
//! | `VITALS_STATUS_POLL_HEADER` | unset | `Name: value` sent with every poll (e.g. `Authorization: Bearer …`, so that targets include reasons); its value never shown |
//! | `VITALS_STATUS_RETENTION` | `35d` | how long polls, readings and ended incidents are kept (pruned every cycle); longer than three intervals. Shorter than 30 days is allowed: the 30-day uptime then covers only what is kept |
//! | `DATABASE_URL` | `sqlite://vitals.db?mode=rwc` | the collector's database: SQLite, or `postgres://` in production |
//!
//! Every bad value is a [`SettingError`](vitals::settings::SettingError) naming the variable and
//! the value; the binaries exit 64 with it.
//!
//! # How it works
//!
//! Every interval a cycle runs (each a task of its own: a panic or a cancellation ends that
//! cycle only). It creates the tables on first success (sea-orm-migration, SQLite and
//! PostgreSQL, recorded in `vitals_fleet_migrations`), then takes or renews the lease (one row of
//! `fleet_lease`: a holder token and an expiry of three intervals on the database's clock).
//! Only the holder polls: every target at once, each `GET` on a blocking thread under the
//! timeout; it writes, in one transaction that first checks it still holds the lease, a row of
//! `fleet_polls` per target (status, error, failing checks, duration), the readings the
//! document carried into `fleet_readings` (key `(target, check_name, at_ms)`: a reading polled
//! twice is kept once), the target's latest state (`fleet_targets`) and its incident
//! (`fleet_incidents`), and prunes what the retention drops; a holder whose write fails gives
//! the lease up, so that another collector takes over at once. The others serve the pages from the
//! same tables. Every database call has a deadline (5 s); a failing database or target is a
//! `tracing::warn!` and a metric, never a stopped server. Every poll written is also handed to
//! the kernel's notifier (`vitals-notify`, when `VITALS_NOTIFY_*` configures one) as an
//! observation of the target (`SubjectKind::Target`), which damps and repeats on its own.
//!
//! **Uptime** over 24 h, 7 d and 30 d is the share of the window's polls at which the target was
//! serving (`pass` or `warn`); `None` when the window has no poll. An **incident** opens at the
//! first poll where the target was not serving (`fail`, or no answer), gathers the failing
//! checks (`poll` when the service did not answer) and ends at the next serving poll.
//!
//! Growth: one poll row per target per interval (5,760 a day at 15 s), one reading row per
//! check run each service reports (its checks' rate: a service running 10 checks every 15 s adds
//! 57,600 a day), one incident per outage; all kept for the retention, then pruned. A page
//! reads per target one row, the last 120 readings per check, three counts over the month's
//! polls (an index range on `(target, at_ms)`) and the last 100 incidents.
//!
//! # Metrics
//!
//! `vitals_fleet_target_status{target}` (1 pass, 0.5 warn, 0 fail; absent before the first poll
//! and once the last one is older than three intervals), `vitals_fleet_polls_total{target,
//! result="ok|error"}`, `vitals_fleet_poll_duration_seconds{target}`,
//! `vitals_fleet_store_errors_total`, `vitals_fleet_poller` (1 while this collector polls).
//!
//! # Pages
//!
//! Under the kernel's status path: `""` the fleet page, `"fleet"` the [`FleetDocument`] as JSON
//! (`vitals_status`), `"service/{name}"` one target's page (404 for a name not configured).
//! A target's status is absent once its last poll is older than three intervals (its metric
//! too): polls that stopped never read as the last status they found.
//! Callers without details get no reasons, details or poll errors. While the database cannot
//! be read, the pages answer `503` with the targets and nothing known about them (absent, never
//! zero).
//!
//! # Example
//!
//! ```no_run
//! use vitals_module_fleet::{FleetConfig, FleetModule};
//! # async fn plug() -> Result<(), Box<dyn std::error::Error>> {
//! if let Some(config) = FleetConfig::from_env()? {
//!     let fleet = FleetModule::connect(config).await?;
//!     // Kernel::builder().module(fleet) …
//!     # let _ = fleet;
//! }
//! # Ok(()) }
//! ```
//!
//! Replaying polls into incidents, as the poller does:
//!
//! ```
//! use std::time::Duration;
//! use vitals_module_fleet::{Poll, incidents};
//! let poll = |at_ms, outcome: Result<_, &str>| Poll {
//!     target: "api".into(),
//!     url: "http://10.0.0.7:8080/status/history".into(),
//!     at_ms,
//!     duration: Duration::ZERO,
//!     outcome: outcome.map_err(str::to_owned),
//! };
//! # let doc: vitals_status::StatusDocument = serde_json::from_str(
//! #     r#"{"generated_at_ms":0,"status":"pass","details":false,"capacity":1,"groups":[],"checks":[],"transitions":[]}"#).unwrap();
//! let found = incidents::fold(&[
//!     poll(1_000, Err("connection refused")),
//!     poll(4_000, Ok(doc)),
//! ]);
//! assert_eq!(found[0].checks, ["poll"]);
//! assert_eq!(found[0].duration_ms(10_000), 3_000);
//! ```
//!
//! [`FleetDocument`]: vitals_status::FleetDocument
#![warn(missing_docs)]
mod config;
mod metrics;
mod migration;
mod module;
mod notify;
mod pages;
mod poll;
mod runner;
mod store;

pub mod incidents {
    //! Incidents from polls ([`fold`]), as the poller keeps them in the database.
    pub use crate::incident::fold;
}
mod incident;

pub use config::{DEFAULT_DATABASE_URL, FleetConfig, Target, valid_target_name};
pub use module::FleetModule;
pub use pages::FleetPages;
pub use poll::{MAX_DOCUMENT_BYTES, MAX_REASON_BYTES, Poll, Poller};
pub use runner::{CycleReport, FleetRunner};
pub use store::{
    FleetStore, INCIDENTS_PER_TARGET, PRUNED_PER_CYCLE, READINGS_PER_CHECK, StoreError, new_token,
};
