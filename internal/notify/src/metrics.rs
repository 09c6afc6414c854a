//! The notifier's metrics, one series of each per webhook (`target` = the webhook's name, so
//! bounded by the configuration): [`NotifyMetrics`] registers the families, [`WebhookMetrics`]
//! holds one webhook's series.
use vitals::Metrics;
use vitals::metrics::{Counter, CounterFamily, Gauge, GaugeFamily};

/// Messages delivered (a 2xx answer).
pub(crate) const SENT: &str = "vitals_notifications_sent_total";
/// Failed attempts (a transport error, a timeout or a non-2xx answer).
pub(crate) const FAILED: &str = "vitals_notifications_failed_total";
/// Messages given up: dropped from a full queue, or still queued at stop.
pub(crate) const DROPPED: &str = "vitals_notifications_dropped_total";
/// Messages waiting in a webhook's queue.
pub(crate) const QUEUED: &str = "vitals_notifications_queued";

pub(crate) struct NotifyMetrics {
    sent: CounterFamily,
    failed: CounterFamily,
    dropped: CounterFamily,
    queued: GaugeFamily,
}

/// One webhook's series, resolved once.
#[derive(Clone)]
pub(crate) struct WebhookMetrics {
    pub(crate) sent: Counter,
    pub(crate) failed: Counter,
    pub(crate) dropped: Counter,
    pub(crate) queued: Gauge,
}

impl NotifyMetrics {
    /// Registers the four families.
    pub(crate) fn register(metrics: &Metrics) -> Result<Self, vitals::Error> {
        let label = &["target"];
        Ok(Self {
            sent: metrics.counter_vec(SENT, "Notifications delivered to a webhook (2xx answer).", label)?,
            failed: metrics.counter_vec(
                FAILED,
                "Failed attempts to deliver a notification to a webhook (transport error, timeout, non-2xx answer); each is retried.",
                label,
            )?,
            dropped: metrics.counter_vec(
                DROPPED,
                "Notifications given up: dropped from a webhook's full queue (the oldest first) or undelivered at stop.",
                label,
            )?,
            queued: metrics.gauge_vec(QUEUED, "Notifications waiting in a webhook's queue.", label)?,
        })
    }

    /// The series of the webhook named `name`, created at zero.
    pub(crate) fn webhook(&self, name: &str) -> WebhookMetrics {
        let m = WebhookMetrics {
            sent: self.sent.with_label_values(&[name]),
            failed: self.failed.with_label_values(&[name]),
            dropped: self.dropped.with_label_values(&[name]),
            queued: self.queued.with_label_values(&[name]),
        };
        m.sent.inc_by(0);
        m.failed.inc_by(0);
        m.dropped.inc_by(0);
        m.queued.set(0.0);
        m
    }
}
