//! Notifications of status changes to webhooks: [`Notifier`] judges each [`Observation`] of a
//! check, group or fleet target, damps flapping, and POSTs generic JSON or Slack messages.
//!
//! Rules, per subject: a new status is notified once seen in `hold_readings` consecutive
//! readings (default 2, so a one-reading blip sends nothing), or on a later reading once it has
//! held `hold_time`. The first status is compared with an assumed healthy baseline. Changes to
//! unhealthy (`down`), to degraded (`degraded`) and back to healthy (`recovered`) are each sent
//! once; while not healthy, the message is repeated every `repeat` (default 1 h) on the next
//! reading past it (`repeat`).
//!
//! Delivery, per webhook: a bounded queue (the oldest message is dropped when full) and one
//! task sending in order with `ureq` (rustls) on the blocking pool, each POST bounded by
//! `timeout`, with an `Idempotency-Key: <id>` header; a transport error or a non-2xx answer is
//! retried after 1 s, 2 s, 4 s… up to `backoff_max`, until delivered. Metrics, labelled
//! `target` = the webhook's name: `vitals_notifications_sent_total`,
//! `vitals_notifications_failed_total` (failed attempts), `vitals_notifications_dropped_total`
//! (dropped from a full queue or undelivered at stop), `vitals_notifications_queued`.
//!
//! The JSON body (`Format::Json`; `service` (for checks and groups), `reason` and `link` only
//! when known; reasons only
//! with [`NotifyConfig::details`], cut to 256 bytes; `since` is the first reading of `to`; for
//! a repeat `from` equals `to`):
//!
//! ```json
//! {"id": "5f0c9a1e2b3d4c5e-1", "event": "down", "subject": {"kind": "group", "name": "readiness",
//!  "service": "orders"}, "from": "healthy", "to": "unhealthy", "since": "2026-12-02T08:00:30.000Z",
//!  "failing": [{"check": "db", "reason": "connection refused"}], "link": "https://status.example/"}
//! ```
//!
//! `event` is `down`, `degraded`, `recovered` or `repeat`; `kind` is `check`, `group` or
//! `target`. The Slack body (`Format::Slack`) is `{"text": "…"}` with one line, e.g.
//! `:red_circle: readiness of orders is unhealthy since 2026-12-02T08:00:30Z: db (connection
//! refused) — <https://status.example/>`.
//!
//! ```
//! use std::time::Duration;
//! use vitals::HealthStatus;
//! use vitals_notify::{Failing, Format, Notifier, NotifyConfig, Observation, Subject, Webhook};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let config = NotifyConfig {
//!     webhooks: vec![Webhook {
//!         name: "ops".to_owned(),
//!         url: "http://127.0.0.1:9/hook".to_owned(),
//!         format: Format::Json,
//!     }],
//!     service: Some("orders".to_owned()),
//!     ..NotifyConfig::default()
//! };
//! let notifier = Notifier::new(config, &vitals::Metrics::noop()).unwrap();
//! notifier.start();
//! for _ in 0..2 {
//!     let reading = Observation::now(Subject::group("readiness"), HealthStatus::Unhealthy)
//!         .with_failing([Failing::new("db", "connection refused")]);
//!     notifier.observe(reading);
//! }
//! // Held for two readings: one `down` message is queued for "ops".
//! assert_eq!(notifier.queued("ops"), Some(1));
//! notifier.stop(Duration::from_millis(100)).await;
//! # }
//! ```
#![warn(missing_docs)]

mod config;
mod delivery;
mod message;
mod metrics;
mod notifier;
mod observation;
mod outbox;
mod rules;

pub use config::{Format, MAX_QUEUE, NotifyConfig, Webhook};
pub use notifier::Notifier;
pub use observation::{Failing, Observation, Subject, SubjectKind};
pub use rules::Notified;
