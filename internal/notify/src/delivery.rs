//! One webhook's delivery task ([`supervise`]): sends the queue's head, retries it with doubling
//! waits (1 s, 2 s, … up to `backoff_max`) until delivered, so messages arrive in order and
//! once each; a panic restarts the task, or fails the attempt when it is the POST's (counted in
//! `vitals_errors_total{type="panic"}`); every wait has a deadline. The POST itself
//! ([`Transport`]) runs on the blocking pool.
use crate::outbox::{Outbox, Settled};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until};
use vitals::Metrics;
use vitals::metrics::ErrorKind;

/// The first retry's wait.
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Longest an idle task sleeps before looking at its queue again (a missed wake-up costs this
/// much at most).
const IDLE_WAKE: Duration = Duration::from_secs(5);
/// Extra time given to a POST past its own timeout before it is abandoned.
const GRACE: Duration = Duration::from_secs(1);
/// Wait before restarting a task that panicked.
const RESTART_WAIT: Duration = Duration::from_millis(100);

/// Sends one body (a blocking call; `Err` carries a reason free of the URL's secrets).
pub(crate) trait Transport: Send + Sync + 'static {
    fn post(&self, url: &str, body: String, id: &str) -> Result<(), String>;
}

/// The real transport: `ureq` with rustls, statuses as answers, no redirects.
pub(crate) struct Ureq(ureq::Agent);

impl Ureq {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(timeout))
                .user_agent(concat!("vitals-notify/", env!("CARGO_PKG_VERSION")))
                .build()
                .new_agent(),
        )
    }
}

impl Transport for Ureq {
    fn post(&self, url: &str, body: String, id: &str) -> Result<(), String> {
        let answer = self
            .0
            .post(url)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", id)
            .send(body)
            .map_err(|e| match e {
                ureq::Error::BadUri(_) => "bad URL".to_owned(),
                e => e.to_string(),
            })?;
        let status = answer.status().as_u16();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!("HTTP {status}"))
        }
    }
}

/// What a delivery task needs; `closing` turns to the stop deadline.
pub(crate) struct Delivery {
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) timeout: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) closing: watch::Receiver<Option<Instant>>,
    pub(crate) metrics: Metrics,
}

/// Aborts the task it holds when dropped (so aborting the supervisor stops its worker).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `task` (the delivery task [`work`]) for `d`, restarting it after a panic, until it
/// ends (stop, or the notifier dropped).
pub(crate) async fn supervise<F, Fut>(d: Arc<Delivery>, task: F)
where
    F: Fn(Arc<Delivery>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let mut worker = AbortOnDrop(tokio::spawn(task(d.clone())));
        match (&mut worker.0).await {
            Err(e) if e.is_panic() => {
                d.outbox.reset();
                d.metrics.record_error(ErrorKind::Panic);
                tracing::error!(
                    webhook = %d.outbox.webhook.name,
                    panic = %vitals::panic_message(&*e.into_panic()),
                    "notification delivery task panicked; restarting it"
                );
                sleep(RESTART_WAIT).await;
            }
            _ => return,
        }
    }
}

/// Delivers `d`'s queue until stopped.
pub(crate) async fn work(d: Arc<Delivery>) {
    let mut closing = d.closing.clone();
    let mut backoff = FIRST_BACKOFF;
    let mut failures = 0u32;
    while let Some(message) = next(&d.outbox, &mut closing).await {
        let body = message.body(d.outbox.webhook.format);
        let result = attempt(&d, body, &message.id).await;
        let name = &d.outbox.webhook.name;
        let settled = d.outbox.settle(&message, result.is_ok());
        match result {
            Ok(()) => {
                if failures > 0 {
                    tracing::info!(webhook = %name, id = %message.id, after_failures = failures, "notification delivered");
                }
                failures = 0;
                backoff = FIRST_BACKOFF;
            }
            Err(error) => {
                failures += 1;
                tracing::warn!(
                    webhook = %name,
                    id = %message.id,
                    attempt = failures,
                    retry_in = %humantime::format_duration(backoff),
                    dropped = settled == Settled::Abandoned,
                    %error,
                    "notification not delivered; retrying"
                );
                if !pause(backoff, &mut closing).await {
                    return;
                }
                backoff = (backoff * 2).min(d.backoff_max);
            }
        }
    }
}

/// Posts `body` off the async workers, within the timeout.
async fn attempt(d: &Delivery, body: String, id: &str) -> Result<(), String> {
    let transport = d.transport.clone();
    let url = d.outbox.webhook.url.clone();
    let key = id.to_owned();
    let call = tokio::task::spawn_blocking(move || transport.post(&url, body, &key));
    match tokio::time::timeout(d.timeout + GRACE, call).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) if e.is_panic() => {
            d.metrics.record_error(ErrorKind::Panic);
            Err(format!(
                "the sending thread panicked: {}",
                vitals::panic_message(&*e.into_panic())
            ))
        }
        Ok(Err(_)) => Err("the sending thread was cancelled".to_owned()),
        Err(_) => Err(format!(
            "no answer within {}",
            humantime::format_duration(d.timeout)
        )),
    }
}

/// The next message to attempt; `None` once stopping with an empty queue or past the stop
/// deadline, or when the notifier is gone.
async fn next(
    outbox: &Outbox,
    closing: &mut watch::Receiver<Option<Instant>>,
) -> Option<Arc<crate::message::Message>> {
    loop {
        let mut woken = pin!(outbox.wake.notified());
        woken.as_mut().enable();
        let stop = *closing.borrow_and_update();
        if stop.is_some_and(|deadline| Instant::now() >= deadline) {
            return None;
        }
        if let Some(message) = outbox.begin() {
            return Some(message);
        }
        if stop.is_some() {
            return None;
        }
        if !wait_for(woken, IDLE_WAKE, closing).await {
            return None;
        }
    }
}

/// Waits `delay` (cut short by the stop deadline); `false` when the task should end.
async fn pause(delay: Duration, closing: &mut watch::Receiver<Option<Instant>>) -> bool {
    let until = Instant::now() + delay;
    loop {
        let stop = *closing.borrow_and_update();
        let now = Instant::now();
        if stop.is_some_and(|deadline| now >= deadline) {
            return false;
        }
        if now >= until {
            return true;
        }
        let end = stop.map_or(until, |deadline| deadline.min(until));
        tokio::select! {
            () = sleep_until(end) => {}
            changed = closing.changed() => if changed.is_err() { return false },
        }
    }
}

/// Waits for `event`, a change of `closing`, or `limit`; `false` when the notifier is gone.
async fn wait_for(
    event: impl Future<Output = ()>,
    limit: Duration,
    closing: &mut watch::Receiver<Option<Instant>>,
) -> bool {
    tokio::select! {
        () = event => true,
        () = sleep(limit) => true,
        changed = closing.changed() => changed.is_ok(),
    }
}

#[cfg(test)]
mod tests;
