//! TCP: a connection to `host:port` opened within the timeout (and closed at once).
use std::time::Duration;
use vitals::{CheckOutcome, HealthChecker};

/// A checker of one TCP endpoint (see [`tcp()`]).
#[derive(Debug, Clone)]
pub struct TcpCheck {
    name: String,
    target: String,
    timeout: Duration,
}

/// A check named `tcp` of `target` (`host:port`): healthy when a connection opens within 1 s
/// (see [`timeout`](TcpCheck::timeout)); the reason names the target and the error; the
/// connect time in details (`connect_seconds`).
///
/// ```
/// use vitals::CheckerExt;
/// let smtp = vitals_module_checks::tcp("mail.internal:25").named("smtp").non_critical();
/// ```
pub fn tcp(target: impl Into<String>) -> TcpCheck {
    TcpCheck {
        name: "tcp".into(),
        target: target.into(),
        timeout: Duration::from_secs(1),
    }
}

impl TcpCheck {
    /// The check's name. Defaults to `tcp`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Longest wait for the connection (name resolution included). Defaults to 1 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[async_trait::async_trait]
impl HealthChecker for TcpCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        let started = tokio::time::Instant::now();
        let connect = tokio::net::TcpStream::connect(self.target.as_str());
        match tokio::time::timeout(self.timeout, connect).await {
            Ok(Ok(_)) => CheckOutcome::healthy()
                .with_detail("connect_seconds", started.elapsed().as_secs_f64()),
            Ok(Err(e)) => CheckOutcome::unhealthy(format!("tcp {}: {e}", self.target)),
            Err(_) => CheckOutcome::unhealthy(format!(
                "tcp {}: no connection within {:?}",
                self.target, self.timeout
            )),
        }
    }
}
