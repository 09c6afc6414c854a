//! SQL databases (PostgreSQL, MySQL/MariaDB): `SELECT 1` answered within the timeout on a
//! connection of the check's own, the server's version in details.
use crate::masked;
use sqlx::Connection;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::{Instant, timeout_at};
use vitals::{CheckOutcome, Error, HealthChecker};

/// A checker of one SQL database (see [`sql()`]).
pub struct SqlCheck {
    name: String,
    driver: &'static str,
    options: Options,
    shown: String,
    secrets: Vec<String>,
    timeout: Duration,
    /// The pool of the check's own: one connection at most, opened on the first run (never at
    /// construction), kept while it answers, dropped (its socket closed) when it does not.
    slot: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    conn: Option<Conn>,
    version: Option<String>,
}

enum Options {
    Postgres(PgConnectOptions),
    Mysql(MySqlConnectOptions),
}

enum Conn {
    Postgres(PgConnection),
    Mysql(MySqlConnection),
}

/// A check of the database at `url`, its driver picked from the scheme: `postgres://` or
/// `postgresql://` (named `postgres`), `mysql://` or `mariadb://` (named `mysql`), with the
/// user, password, database and options `sqlx` reads (`?sslmode=`, `?ssl-mode=`; TLS is
/// preferred by default). Healthy when `SELECT 1` is answered within 1 s (see
/// [`timeout`](SqlCheck::timeout)), connecting included; details `server_version` (`SELECT
/// version()`, asked once per connection) and `seconds`.
///
/// The check keeps one connection of its own, independent of any pool of the app: opened on the
/// first run (never at construction), reused while it answers (one the server closed, as by a
/// restart, is replaced within the same run), and dropped, its socket closed, after an error or
/// a timeout, so a run never waits on a half-read reply and nothing of a run goes on after it
/// returned. The reason names the database with its URL
/// masked (`postgres postgres://db:5432/app: Connection refused (os error 111)`); no password
/// ever appears in a reason or detail, the driver's error texts included.
///
/// ```
/// use vitals::CheckerExt;
/// let db = vitals_module_checks::sql("postgres://app:secret@db:5432/orders")?.named("orders-db");
/// let legacy = vitals_module_checks::sql("mysql://ro@legacy:3306/shop")?.non_critical();
/// # Ok::<(), vitals::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidCheck`] naming the URL (credentials masked) when its scheme is none of the
/// above or the driver cannot parse it.
pub fn sql(url: &str) -> Result<SqlCheck, Error> {
    let secrets = secrets(url);
    // A keyword string (`host=db password=…`) is no URL: nothing in it can be told apart as safe.
    let shown = if url.contains("://") {
        scrub(&masked(url), &secrets)
    } else {
        "<not a URL; withheld>".to_owned()
    };
    let scheme = url.split_once("://").map_or("", |(s, _)| s);
    let refused = |driver: &str, reason: String| Error::InvalidCheck {
        name: driver.into(),
        reason: format!("{shown}: {}", scrub(&reason, &secrets)),
    };
    let (driver, options) = match scheme {
        "postgres" | "postgresql" => (
            "postgres",
            Options::Postgres(
                PgConnectOptions::from_str(url).map_err(|e| refused("postgres", e.to_string()))?,
            ),
        ),
        "mysql" | "mariadb" => (
            "mysql",
            Options::Mysql(
                MySqlConnectOptions::from_str(&format!("mysql{}", &url[scheme.len()..]))
                    .map_err(|e| refused("mysql", e.to_string()))?,
            ),
        ),
        _ => {
            return Err(refused(
                "sql",
                "must be a postgres://, postgresql://, mysql:// or mariadb:// URL".into(),
            ));
        }
    };
    Ok(SqlCheck {
        name: driver.into(),
        driver,
        options,
        shown,
        secrets,
        timeout: Duration::from_secs(1),
        slot: Mutex::new(Slot::default()),
    })
}

impl SqlCheck {
    /// The check's name. Defaults to the driver: `postgres` or `mysql`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Bound of one whole run: connecting (when there is no open connection), `SELECT 1` and,
    /// on a new connection, `SELECT version()`. Defaults to 1 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// One run: the version on success, else the reason's text after the URL.
    async fn probe(&self, deadline: Instant) -> Result<String, String> {
        let waited = || format!("no answer within {:?}", self.timeout);
        let mut slot = timeout_at(deadline, self.slot.lock())
            .await
            .map_err(|_| waited())?;
        // Taken out of the slot: put back only after an answer, so a connection whose reply was
        // cut short by the timeout is dropped rather than reused.
        let mut reused = slot.conn.take();
        loop {
            let fresh = reused.is_none();
            if fresh {
                slot.version = None; // asked again on the new connection
            }
            let mut conn = match reused.take() {
                Some(c) => c,
                None => match timeout_at(deadline, self.options.connect()).await {
                    Err(_) => return Err(format!("no connection within {:?}", self.timeout)),
                    Ok(Err(e)) => return Err(self.explain(e)),
                    Ok(Ok(c)) => c,
                },
            };
            match timeout_at(deadline, conn.select_one()).await {
                Err(_) => return Err(waited()),
                // An old connection the server closed (a restart): one more try on a new one.
                Ok(Err(_)) if !fresh => continue,
                Ok(Err(e)) => return Err(self.explain(e)),
                Ok(Ok(())) => {}
            }
            let version = match slot.version.clone() {
                Some(v) => v,
                None => match timeout_at(deadline, conn.version()).await {
                    Err(_) => return Err(waited()),
                    Ok(Err(e)) => return Err(self.explain(e)),
                    Ok(Ok(v)) => v,
                },
            };
            slot.version = Some(version.clone());
            slot.conn = Some(conn);
            return Ok(version);
        }
    }

    /// The driver's error as a reason: the I/O error or the server's message, no credential.
    fn explain(&self, e: sqlx::Error) -> String {
        let text = match &e {
            sqlx::Error::Io(io) => io.to_string(),
            sqlx::Error::Database(db) => db.message().to_owned(),
            other => other.to_string(),
        };
        scrub(&text, &self.secrets)
    }
}

impl std::fmt::Debug for SqlCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlCheck")
            .field("name", &self.name)
            .field("target", &self.shown)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Options {
    async fn connect(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Options::Postgres(o) => Conn::Postgres(PgConnection::connect_with(o).await?),
            Options::Mysql(o) => Conn::Mysql(MySqlConnection::connect_with(o).await?),
        })
    }
}

impl Conn {
    async fn select_one(&mut self) -> Result<(), sqlx::Error> {
        match self {
            Conn::Postgres(c) => sqlx::raw_sql("SELECT 1").fetch_one(c).await.map(drop),
            Conn::Mysql(c) => sqlx::raw_sql("SELECT 1").fetch_one(c).await.map(drop),
        }
    }

    async fn version(&mut self) -> Result<String, sqlx::Error> {
        match self {
            Conn::Postgres(c) => sqlx::query_scalar("SELECT version()").fetch_one(c).await,
            Conn::Mysql(c) => sqlx::query_scalar("SELECT version()").fetch_one(c).await,
        }
    }
}

#[async_trait::async_trait]
impl HealthChecker for SqlCheck {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> CheckOutcome {
        let started = Instant::now();
        match self.probe(started + self.timeout).await {
            Ok(version) => CheckOutcome::healthy()
                .with_detail("server_version", version)
                .with_detail("seconds", started.elapsed().as_secs_f64()),
            Err(e) => CheckOutcome::unhealthy(format!("{} {}: {e}", self.driver, self.shown)),
        }
    }
}

/// The password of `url`, as written and percent-decoded, from its user part and from a
/// `password=` option: what [`scrub`] hides.
fn secrets(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some((user, _)) = authority.rsplit_once('@')
        && let Some((_, password)) = user.split_once(':')
    {
        found.push(password.to_owned());
    }
    if let Some((_, query)) = rest.split_once('?') {
        for pair in query.split(['&', '#']) {
            if let Some(("password", value)) = pair.split_once('=') {
                found.push(value.to_owned());
            }
        }
    }
    let decoded: Vec<String> = found.iter().map(|s| percent_decoded(s)).collect();
    found.extend(decoded);
    found.retain(|s| !s.is_empty());
    // Longest first, so a password containing another is hidden whole.
    found.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    found.dedup();
    found
}

/// `text` with every secret replaced by `***`.
fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_owned(), |t, s| t.replace(s.as_str(), "***"))
}

fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_found_as_written_and_decoded() {
        let s = secrets("postgres://app:p%40ss@db:5432/x?sslmode=disable&password=other");
        assert_eq!(s, ["p%40ss", "other", "p@ss"]);
        assert_eq!(
            scrub("failed for p@ss and p%40ss, other", &s),
            "failed for *** and ***, ***"
        );
        assert!(secrets("mysql://ro@legacy:3306/shop").is_empty());
    }
}
