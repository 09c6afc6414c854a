//! Another Vitals service: its readiness (or one group) passing, read from its health document
//! (`application/health+json`); the checks it reports failing named in the reason and details.
use crate::masked;
use crate::scrub::scrubbed;
use std::time::Duration;
use vitals::{CheckOutcome, HealthChecker};

/// A checker of another Vitals service's probe (see [`vitals_service()`]).
#[derive(Clone)]
pub struct VitalsServiceCheck {
    name: String,
    url: String,
    shown: String,
    token: Option<String>,
    timeout: Duration,
}

/// A check named `vitals` of the Vitals service at `base` (`http://orders:8080`): its `/ready`
/// (or [`group`](VitalsServiceCheck::group)'s `/health/<group>`). Healthy when it passes,
/// degraded when it reports `warn`, unhealthy when it fails or cannot be read; the checks it
/// reports failing are named in the reason and in details (`failing`).
///
/// ```
/// use vitals::CheckerExt;
/// let orders = vitals_module_checks::vitals_service("http://orders:8080").named("orders").non_critical();
/// ```
pub fn vitals_service(base: impl Into<String>) -> VitalsServiceCheck {
    let base = base.into().trim_end_matches('/').to_owned();
    let url = format!("{base}/ready");
    VitalsServiceCheck {
        name: "vitals".into(),
        shown: masked(&url),
        url,
        token: None,
        timeout: Duration::from_secs(1),
    }
}

impl VitalsServiceCheck {
    /// The check's name. Defaults to `vitals`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Reads `/health/<group>` instead of `/ready`.
    pub fn group(mut self, group: &str) -> Self {
        let base = self.url.trim_end_matches("/ready").to_owned();
        self.url = format!("{base}/health/{group}");
        self.shown = masked(&self.url);
        self
    }

    /// A bearer token the service grants details to (its `VITALS_TOKEN`), so its reasons reach
    /// the log; never shown.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Bound of the whole exchange. Defaults to 1 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn call(&self) -> Result<(u16, serde_json::Value), String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(self.timeout))
            .build()
            .into();
        let mut req = agent
            .get(&self.url)
            .header("Accept", "application/health+json");
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        // The client's error may quote the URL it could not use, credentials included.
        let mut resp = req
            .call()
            .map_err(|e| scrubbed(&e.to_string(), &self.url))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(|e| format!("reading the health document: {e}"))?;
        let doc = serde_json::from_str(&body)
            .map_err(|_| format!("HTTP {status}: not a health document"))?;
        Ok((status, doc))
    }
}

/// The checks a health document reports failing (`fail`), by name.
fn failing(doc: &serde_json::Value) -> Vec<String> {
    let Some(checks) = doc["checks"].as_object() else {
        return Vec::new();
    };
    checks
        .iter()
        .filter(|(_, v)| v[0]["status"] == "fail")
        .map(|(name, _)| name.clone())
        .collect()
}

/// Shows the URL masked and whether a token is set, never the token.
impl std::fmt::Debug for VitalsServiceCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VitalsServiceCheck")
            .field("name", &self.name)
            .field("url", &self.shown)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[async_trait::async_trait]
impl HealthChecker for VitalsServiceCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        let me = self.clone();
        let answer = tokio::task::spawn_blocking(move || me.call()).await;
        let (status, doc) = match answer {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return CheckOutcome::unhealthy(format!("vitals {}: {e}", self.shown)),
            Err(e) => return CheckOutcome::unhealthy(format!("vitals {}: {e}", self.shown)),
        };
        let failing = failing(&doc);
        let outcome = match (status, doc["status"].as_str()) {
            (200, Some("pass")) => CheckOutcome::healthy(),
            (200, Some("warn")) => {
                CheckOutcome::degraded(format!("vitals {}: degraded", self.shown))
            }
            (_, reported) => CheckOutcome::unhealthy(format!(
                "vitals {}: HTTP {status}, {}; failing: {}",
                self.shown,
                reported.unwrap_or("no status"),
                if failing.is_empty() {
                    "none named".to_owned()
                } else {
                    failing.join(", ")
                }
            )),
        };
        outcome.with_detail("failing", failing)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_the_client_quotes_in_its_error_is_shown_masked() {
        let e = super::vitals_service("//app:s3cret@orders:8080")
            .call()
            .unwrap_err();
        assert_eq!(e, "bad uri: orders:8080/ready is missing scheme");
    }

    #[test]
    fn debug_shows_neither_the_token_nor_a_password() {
        let check = super::vitals_service("http://app:s3cret@orders:8080").token("t0ken");
        let shown = format!("{check:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("t0ken"),
            "{shown}"
        );
        assert!(shown.contains("http://orders:8080/ready"), "{shown}");
    }
}
