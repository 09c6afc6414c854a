//! The fleet view's settings, read from the environment in one place and validated once.
use std::time::Duration;
use vitals::settings::{Environment, SettingError};

/// One polled service: a name of its own and the URL of its status document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `[a-z0-9_-]{1,64}`, unique: the `target` label and the page's path.
    pub name: String,
    /// `http(s)://` URL of the service's `GET /status/history`.
    pub url: String,
}

/// What the fleet view polls, how often, and where it keeps the history.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// The services (`VITALS_STATUS_TARGETS`, `name=url,…`), in the pages' order.
    pub targets: Vec<Target>,
    /// Time between two polls of every target (`VITALS_STATUS_POLL_INTERVAL`, default 15 s).
    pub interval: Duration,
    /// Deadline of one poll (`VITALS_STATUS_POLL_TIMEOUT`, default 5 s, shorter than the
    /// interval).
    pub timeout: Duration,
    /// Header sent with every poll (`VITALS_STATUS_POLL_HEADER`, `Name: value`), e.g. the token
    /// that grants details; never shown in errors or logs.
    pub header: Option<(String, String)>,
    /// How long polls, readings and closed incidents are kept (`VITALS_STATUS_RETENTION`, default
    /// 35 days; pruned every cycle). Shorter than 30 days is allowed: the 30-day uptime then
    /// covers only what is kept.
    pub retention: Duration,
    /// The collector's database (`DATABASE_URL`, default `sqlite://vitals.db?mode=rwc`):
    /// `sqlite:` or `postgres://`.
    pub database_url: String,
    /// Deadline of every database call (`VITALS_STATUS_STORE_TIMEOUT`, default 5 s): a cycle's
    /// one write of every target's poll, the pages' read of the whole fleet. Raise it for a
    /// large fleet on a distant database.
    pub store_timeout: Duration,
}

/// Where the history goes when `DATABASE_URL` is unset: the binaries' default.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://vitals.db?mode=rwc";

impl FleetConfig {
    /// Defaults for `targets` (15 s interval, 5 s timeout, 35 days, SQLite in the working
    /// directory).
    pub fn new(targets: Vec<Target>, database_url: &str) -> Self {
        Self {
            targets,
            interval: Duration::from_secs(15),
            timeout: Duration::from_secs(5),
            header: None,
            retention: Duration::from_secs(35 * 24 * 3600),
            database_url: database_url.to_owned(),
            store_timeout: Duration::from_secs(5),
        }
    }

    /// From the process environment; `None` when `VITALS_STATUS_TARGETS` is unset.
    ///
    /// # Errors
    /// A [`SettingError`] naming the first bad variable and its value (a header's value
    /// withheld).
    pub fn from_env() -> Result<Option<Self>, SettingError> {
        Self::from_environment(&Environment::from_env())
    }

    /// From `env`; `None` when `VITALS_STATUS_TARGETS` is unset.
    ///
    /// # Errors
    /// A [`SettingError`] naming the first bad variable and its value.
    pub fn from_environment(env: &Environment) -> Result<Option<Self>, SettingError> {
        let Some(list) = env.string("VITALS_STATUS_TARGETS") else {
            return Ok(None);
        };
        let db = env
            .string("DATABASE_URL")
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(SettingError::new(
                "DATABASE_URL",
                db.split('@').next_back().unwrap_or_default(),
                "the fleet view keeps its history in sqlite: or postgres://",
            ));
        }
        let mut c = Self::new(targets(&list)?, &db);
        if let Some(d) = env.positive_duration("VITALS_STATUS_POLL_INTERVAL")? {
            c.interval = d;
        }
        if let Some(d) = env.positive_duration("VITALS_STATUS_POLL_TIMEOUT")? {
            c.timeout = d;
        }
        if let Some(d) = env.positive_duration("VITALS_STATUS_RETENTION")? {
            c.retention = d;
        }
        if let Some(d) = env.positive_duration("VITALS_STATUS_STORE_TIMEOUT")? {
            c.store_timeout = d;
        }
        if c.timeout >= c.interval {
            return Err(SettingError::new(
                "VITALS_STATUS_POLL_TIMEOUT",
                &humantime::format_duration(c.timeout).to_string(),
                format!(
                    "must be shorter than VITALS_STATUS_POLL_INTERVAL ({}), or polls overlap",
                    humantime::format_duration(c.interval)
                ),
            ));
        }
        if c.retention <= c.interval * 3 {
            return Err(SettingError::new(
                "VITALS_STATUS_RETENTION",
                &humantime::format_duration(c.retention).to_string(),
                "must be longer than three VITALS_STATUS_POLL_INTERVALs",
            ));
        }
        c.header = env.header("VITALS_STATUS_POLL_HEADER")?;
        Ok(Some(c))
    }

    /// The target named `name`.
    pub fn target(&self, name: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.name == name)
    }
}

/// Whether `name` is `[a-z0-9_-]{1,64}`.
pub fn valid_target_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn targets(list: &str) -> Result<Vec<Target>, SettingError> {
    const VAR: &str = "VITALS_STATUS_TARGETS";
    let mut out: Vec<Target> = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((name, url)) = entry.split_once('=') else {
            return Err(SettingError::new(
                VAR,
                entry,
                "each entry is name=url, e.g. api=http://10.0.0.7:8080/status/history",
            ));
        };
        let (name, url) = (name.trim(), url.trim());
        if !valid_target_name(name) {
            return Err(SettingError::new(
                VAR,
                name,
                "a target name is 1 to 64 of lowercase letters, digits, '_' and '-'",
            ));
        }
        if out.iter().any(|t| t.name == name) {
            return Err(SettingError::new(VAR, name, "target names must be unique"));
        }
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
        if host.is_none_or(|h| h.is_empty() || h.contains('@'))
            || url.chars().any(|c| c.is_whitespace())
        {
            return Err(SettingError::new(
                VAR,
                url.split('@').next_back().unwrap_or_default(),
                "must be an http:// or https:// URL without credentials",
            ));
        }
        out.push(Target {
            name: name.to_owned(),
            url: url.to_owned(),
        });
    }
    if out.is_empty() {
        return Err(SettingError::new(
            VAR,
            list,
            "list at least one name=url target",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
