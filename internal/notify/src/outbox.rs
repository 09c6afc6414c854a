//! One webhook's bounded FIFO queue ([`Outbox`]): `observe` pushes (never waits beyond a short
//! lock), the delivery task attempts the head and removes it once delivered. When full, the
//! oldest message is dropped, even the one being attempted: that one then counts as sent if the
//! attempt succeeds, else as dropped, so each message is counted once.
use crate::config::Webhook;
use crate::message::Message;
use crate::metrics::WebhookMetrics;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

pub(crate) struct Outbox {
    pub(crate) webhook: Webhook,
    capacity: usize,
    state: Mutex<State>,
    /// Woken by every push.
    pub(crate) wake: Notify,
    pub(crate) metrics: WebhookMetrics,
}

#[derive(Default)]
struct State {
    items: VecDeque<Arc<Message>>,
    /// The head, while an attempt to send it is under way.
    attempting: Option<Arc<Message>>,
    /// The head under attempt was dropped from the queue meanwhile.
    abandoned: bool,
    /// Stopped: nothing is queued any more.
    closed: bool,
}

/// How an attempt ended for the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// Delivered and removed from the queue.
    Sent,
    /// Not delivered; still the head, to retry.
    Retry,
    /// Dropped from a full queue during the attempt (counted as sent or dropped already).
    Abandoned,
}

impl Outbox {
    pub(crate) fn new(webhook: Webhook, capacity: usize, metrics: WebhookMetrics) -> Self {
        Self {
            webhook,
            capacity: capacity.max(1),
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            metrics,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `message`, dropping the oldest when full.
    pub(crate) fn push(&self, message: Arc<Message>) {
        let mut s = self.lock();
        if s.closed {
            drop(s);
            self.metrics.dropped.inc();
            tracing::warn!(webhook = %self.webhook.name, id = %message.id, "notification after stop: dropped");
            return;
        }
        if s.items.len() >= self.capacity
            && let Some(oldest) = s.items.pop_front()
        {
            if s.attempting
                .as_ref()
                .is_some_and(|a| Arc::ptr_eq(a, &oldest))
            {
                s.abandoned = true;
            } else {
                self.metrics.dropped.inc();
            }
            tracing::warn!(
                webhook = %self.webhook.name,
                id = %oldest.id,
                capacity = self.capacity,
                "notification queue full: dropped the oldest message"
            );
        }
        s.items.push_back(message);
        self.metrics.queued.set(s.items.len() as f64);
        drop(s);
        self.wake.notify_one();
    }

    /// The head, marked as under attempt; `None` when the queue is empty.
    pub(crate) fn begin(&self) -> Option<Arc<Message>> {
        let mut s = self.lock();
        let head = s.items.front().cloned()?;
        s.attempting = Some(head.clone());
        s.abandoned = false;
        Some(head)
    }

    /// Records the end of an attempt at `message` (begun with [`begin`](Self::begin)).
    pub(crate) fn settle(&self, message: &Arc<Message>, delivered: bool) -> Settled {
        let mut s = self.lock();
        s.attempting = None;
        if !delivered {
            self.metrics.failed.inc();
        }
        if std::mem::take(&mut s.abandoned) {
            if delivered {
                self.metrics.sent.inc();
            } else {
                self.metrics.dropped.inc();
            }
            return Settled::Abandoned;
        }
        if !delivered {
            return Settled::Retry;
        }
        if s.items.front().is_some_and(|h| Arc::ptr_eq(h, message)) {
            s.items.pop_front();
        }
        self.metrics.sent.inc();
        self.metrics.queued.set(s.items.len() as f64);
        Settled::Sent
    }

    /// Forgets an attempt that never settled (its task panicked or was cancelled); a head
    /// dropped meanwhile counts as dropped.
    pub(crate) fn reset(&self) {
        let mut s = self.lock();
        if s.attempting.take().is_some() && std::mem::take(&mut s.abandoned) {
            self.metrics.dropped.inc();
        }
    }

    /// Closes the queue and empties it; returns how many messages were left (counted as
    /// dropped).
    pub(crate) fn close(&self) -> usize {
        self.reset();
        let mut s = self.lock();
        s.closed = true;
        let left = s.items.len();
        s.items.clear();
        self.metrics.dropped.inc_by(left as u64);
        self.metrics.queued.set(0.0);
        left
    }

    /// Messages waiting (the head under attempt included).
    pub(crate) fn len(&self) -> usize {
        self.lock().items.len()
    }
}
