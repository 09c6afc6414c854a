//! Export to a Prometheus Pushgateway: the group `job/<job>/tenant/<t>/project/<p>` is replaced
//! (PUT) on every push and deleted by the last exporter's clean stop. A push and the delete
//! take turns, and nothing is pushed after the delete: a push in flight cannot re-create the
//! group.
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) struct Pushgateway {
    group_url: String,
    agent: ureq::Agent,
    timeout: Duration,
    /// Held for each request; `true` once the group is deleted.
    closed: Mutex<bool>,
}

impl Pushgateway {
    pub(crate) fn new(
        base: &str,
        job: &str,
        tenant: &str,
        project: &str,
        timeout: Duration,
    ) -> Self {
        let agent = super::http_client::agent(timeout);
        Self {
            group_url: format!(
                "{}/metrics/job/{job}/tenant/{tenant}/project/{project}",
                base.trim_end_matches('/')
            ),
            agent,
            timeout,
            closed: Mutex::new(false),
        }
    }

    fn send(
        &self,
        method: &'static str,
        body: Option<String>,
        deadline: Option<Instant>,
    ) -> Result<(), String> {
        let mut closed = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        if *closed {
            return Err(format!(
                "{method} {}: the group was deleted at stop",
                self.group_url
            ));
        }
        // A push runs within its interval or not at all: never on top of the next one.
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            return Err(format!("{method} {}: its interval is over", self.group_url));
        }
        if body.is_none() {
            *closed = true;
        }
        let resp = match body {
            Some(b) => self
                .agent
                .put(&self.group_url)
                .config()
                .timeout_global(Some(left.map_or(self.timeout, |l| l.min(self.timeout))))
                .build()
                .header("Content-Type", "text/plain; version=0.0.4")
                .send(b),
            None => self.agent.delete(&self.group_url).call(),
        }
        .map_err(|e| format!("{method} {}: {e}", self.group_url))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!("{method} {}: HTTP {status}", self.group_url))
        }
    }

    /// Replaces the group with `text` (the text format) if `deadline` has not passed, and gives up at it (a
    /// blocking call: run it off the async workers).
    pub(crate) fn push(&self, text: String, deadline: Instant) -> Result<(), String> {
        self.send("PUT", Some(text), Some(deadline))
    }

    /// Deletes the group; nothing is pushed afterwards.
    pub(crate) fn delete(&self) -> Result<(), String> {
        self.send("DELETE", None, None)
    }
}
