//! HTTP dependency: a `GET` (or `HEAD`) answered with an expected status, and optionally a body
//! holding a substring, within the timeout; TLS verified; redirects are answers, not followed,
//! unless allowed. The blocking client runs off the async workers.
use crate::masked;
use crate::scrub::scrubbed;
use std::time::Duration;
use vitals::{CheckOutcome, HealthChecker};

/// A checker of one HTTP endpoint (see [`http()`]).
#[derive(Clone)]
pub struct HttpCheck {
    name: String,
    url: String,
    shown: String,
    head: bool,
    expect: u16,
    contains: Option<String>,
    redirects: u32,
    timeout: Duration,
}

/// A check named `http` of `url`: healthy when a `GET` answers 200 within 1 s; the status and the
/// time in details (`status`, `seconds`); the reason names the URL (credentials masked) and what
/// was wrong. TLS is verified with the platform's roots; a redirect is an answer like any other
/// (a `302` when `200` is expected fails) unless [`follow_redirects`](HttpCheck::follow_redirects).
///
/// ```
/// use vitals::CheckerExt;
/// let billing = vitals_module_checks::http("https://billing.internal/health")
///     .expect_status(204)
///     .named("billing")
///     .non_critical();
/// ```
pub fn http(url: impl Into<String>) -> HttpCheck {
    let url = url.into();
    HttpCheck {
        name: "http".into(),
        shown: masked(&url),
        url,
        head: false,
        expect: 200,
        contains: None,
        redirects: 0,
        timeout: Duration::from_secs(1),
    }
}

impl HttpCheck {
    /// The check's name. Defaults to `http`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The status that means healthy. Defaults to 200.
    pub fn expect_status(mut self, status: u16) -> Self {
        self.expect = status;
        self
    }

    /// Also requires the body to hold `text` (`GET` only).
    pub fn body_contains(mut self, text: impl Into<String>) -> Self {
        self.contains = Some(text.into());
        self
    }

    /// Sends `HEAD` instead of `GET`.
    pub fn head(mut self) -> Self {
        self.head = true;
        self
    }

    /// Follows up to `n` redirects. Defaults to none.
    pub fn follow_redirects(mut self, n: u32) -> Self {
        self.redirects = n;
        self
    }

    /// Bound of the whole exchange. Defaults to 1 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn call(&self) -> Result<(u16, String), String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(self.redirects)
            .max_redirects_will_error(false)
            .timeout_global(Some(self.timeout))
            .build()
            .into();
        let mut resp = if self.head {
            agent.head(&self.url).call()
        } else {
            agent.get(&self.url).call()
        }
        // The client's error may quote the URL it could not use, credentials included.
        .map_err(|e| scrubbed(&e.to_string(), &self.url))?;
        let status = resp.status().as_u16();
        let body = match (&self.contains, self.head) {
            (Some(_), false) => resp
                .body_mut()
                .with_config()
                .limit(1 << 20)
                .read_to_string()
                .map_err(|e| format!("reading the body: {e}"))?,
            _ => String::new(),
        };
        Ok((status, body))
    }
}

/// Shows the URL masked (a `user:password@` in it is a credential).
impl std::fmt::Debug for HttpCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpCheck")
            .field("name", &self.name)
            .field("url", &self.shown)
            .field("head", &self.head)
            .field("expect", &self.expect)
            .field("contains", &self.contains)
            .field("redirects", &self.redirects)
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[async_trait::async_trait]
impl HealthChecker for HttpCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        let me = self.clone();
        let started = std::time::Instant::now();
        let answer = tokio::task::spawn_blocking(move || me.call()).await;
        let seconds = started.elapsed().as_secs_f64();
        let (status, body) = match answer {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return CheckOutcome::unhealthy(format!("http {}: {e}", self.shown)),
            Err(e) => return CheckOutcome::unhealthy(format!("http {}: {e}", self.shown)),
        };
        let outcome = if status != self.expect {
            CheckOutcome::unhealthy(format!(
                "http {}: status {status}, expected {}",
                self.shown, self.expect
            ))
        } else if let Some(text) = self
            .contains
            .as_ref()
            .filter(|t| !body.contains(t.as_str()))
        {
            CheckOutcome::unhealthy(format!(
                "http {}: the body does not hold {text:?}",
                self.shown
            ))
        } else {
            CheckOutcome::healthy()
        };
        outcome
            .with_detail("status", status)
            .with_detail("seconds", seconds)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_the_client_quotes_in_its_error_is_shown_masked() {
        let check = super::http("//app:s3cret@api.internal/health");
        let e = check.call().unwrap_err();
        assert_eq!(e, "bad uri: api.internal/health is missing scheme");
    }

    #[test]
    fn debug_shows_the_url_masked() {
        let shown = format!(
            "{:?}",
            super::http("https://app:s3cret@api.internal/health")
        );
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("https://api.internal/health"), "{shown}");
    }
}
