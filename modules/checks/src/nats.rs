//! NATS: a connection and a round trip (`PING`/`PONG`) within the timeout, the server's info in
//! details; the client is closed after every run, so no reconnect loop outlives it.
use crate::masked;
use crate::scrub::{decoded, scrubbed};
use std::time::Duration;
use vitals::{CheckOutcome, Error, HealthChecker};

/// A checker of one NATS server (see [`nats()`]).
#[derive(Debug, Clone)]
pub struct NatsCheck {
    name: String,
    /// The URL without credentials: the client is given them apart.
    shown: String,
    auth: Auth,
    timeout: Duration,
}

#[derive(Clone)]
enum Auth {
    None,
    UserPassword(String, String),
    Token(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::UserPassword(..) => "UserPassword(..)",
            Auth::Token(_) => "Token(..)",
        })
    }
}

/// A check named `nats` of the server at `url` (`nats://[user:password@]host:port`, or
/// `host:port`; `nats://token@host:port` for a token): healthy when a connection opens and a round trip completes within 1 s (see
/// [`timeout`](NatsCheck::timeout)); details `server_name`, `version` and `max_payload_bytes`
/// from the server's info; the reason names the URL (credentials masked). A fresh connection per
/// run, closed at its end (no reconnect loop is left running).
///
/// ```
/// use vitals::CheckerExt;
/// let bus = vitals_module_checks::nats("nats://app:secret@bus.internal:4222")?
///     .named("bus")
///     .non_critical();
/// # Ok::<(), vitals::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidCheck`] naming the URL (credentials masked) when it is not a NATS URL.
pub fn nats(url: &str) -> Result<NatsCheck, Error> {
    let shown = masked(url);
    let addr = url
        .parse::<async_nats::ServerAddr>()
        .map_err(|e| Error::InvalidCheck {
            name: "nats".into(),
            reason: format!("{shown}: {}", scrubbed(&e.to_string(), url)),
        })?;
    // The client reads no credentials from the URL: a user and password, or a token alone.
    let auth = match (addr.username(), addr.password()) {
        (Some(user), Some(pass)) => Auth::UserPassword(decoded(user), decoded(pass)),
        (Some(token), None) => Auth::Token(decoded(token)),
        _ => Auth::None,
    };
    Ok(NatsCheck {
        name: "nats".into(),
        shown,
        auth,
        timeout: Duration::from_secs(1),
    })
}

impl NatsCheck {
    /// The check's name. Defaults to `nats`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Bound of one run (connection, handshake and round trip). Defaults to 1 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn probe(&self) -> Result<async_nats::ServerInfo, String> {
        // The run's own bound governs (`check`); the client's is a backstop past it. One
        // reconnect at most (0 refuses even the first connection): a client dropped while its
        // connection is being lost stops there instead of retrying for ever.
        let options = match &self.auth {
            Auth::None => async_nats::ConnectOptions::new(),
            Auth::UserPassword(user, pass) => {
                async_nats::ConnectOptions::with_user_and_password(user.clone(), pass.clone())
            }
            Auth::Token(token) => async_nats::ConnectOptions::with_token(token.clone()),
        };
        let client = options
            .connection_timeout(self.timeout * 2)
            .max_reconnects(1)
            .connect(self.shown.as_str())
            .await
            .map_err(|e| e.to_string())?;
        let flushed = client.flush().await;
        let info = client.server_info();
        // Closes the connection; its task ends once the client is dropped.
        let _ = client.drain().await;
        drop(client);
        flushed.map_err(|e| format!("round trip: {e}"))?;
        Ok(info)
    }
}

#[async_trait::async_trait]
impl HealthChecker for NatsCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        match tokio::time::timeout(self.timeout, self.probe()).await {
            Err(_) => CheckOutcome::unhealthy(format!(
                "nats {}: no answer within {:?}",
                self.shown, self.timeout
            )),
            Ok(Err(e)) => CheckOutcome::unhealthy(format!("nats {}: {e}", self.shown)),
            Ok(Ok(info)) => CheckOutcome::healthy()
                .with_detail("server_name", info.server_name)
                .with_detail("version", info.version)
                .with_detail("max_payload_bytes", info.max_payload as u64),
        }
    }
}
