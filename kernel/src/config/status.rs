//! The status page's settings: where it is served, how much history it keeps, how often it
//! reloads.
use std::time::Duration;
use vitals::settings::{Environment, SettingError};

/// The status page (`GET {path}`, `GET {path}/history`) and the check history behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSettings {
    /// `VITALS_STATUS_PATH`: where the page is served; `off` turns the page and the history off.
    /// Defaults to `/status`.
    pub path: Option<String>,
    /// `VITALS_STATUS_HISTORY`: readings kept per check (1 to 10,000). Defaults to 120.
    pub history: usize,
    /// `VITALS_STATUS_REFRESH`: time between the page's automatic reloads; `0s` for none.
    /// Defaults to 10 s.
    pub refresh: Duration,
}

impl Default for StatusSettings {
    fn default() -> Self {
        Self {
            path: Some("/status".to_owned()),
            history: 120,
            refresh: Duration::from_secs(10),
        }
    }
}

/// Most readings kept per check.
pub(crate) const MAX_HISTORY: u32 = 10_000;

fn path(v: &str) -> Result<Option<String>, String> {
    if v == "off" {
        return Ok(None);
    }
    let segments: Vec<&str> = match v.strip_prefix('/') {
        Some(rest) => rest.split('/').collect(),
        None => return Err("must start with '/' (e.g. /status), or be off".to_owned()),
    };
    let segment_ok = |s: &&str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    };
    if !segments.iter().all(segment_ok) {
        return Err(
            "use segments of letters, digits, '-', '_', '.' or '~', with no empty segment or trailing '/'"
                .to_owned(),
        );
    }
    if vitals_http::collides_with_endpoints(v) {
        return Err(format!(
            "its first segment {:?} is one of the probe or /metrics paths",
            segments[0]
        ));
    }
    Ok(Some(v.to_owned()))
}

impl StatusSettings {
    /// The checks [`read`](Self::read) makes, for settings made in code
    /// (`KernelBuilder::status`): a path that shadows a probe, a history of 0 or past
    /// 10,000 readings, a reload under 1 s are refused as the variables would be.
    pub(crate) fn validate(&self) -> Result<(), SettingError> {
        if let Some(p) = &self.path {
            path(p).map_err(|e| SettingError::new("VITALS_STATUS_PATH", p, e))?;
        }
        if !(1..=MAX_HISTORY as usize).contains(&self.history) {
            return Err(SettingError::new(
                "VITALS_STATUS_HISTORY",
                &self.history.to_string(),
                format!("must be a whole number from 1 to {MAX_HISTORY}"),
            ));
        }
        if !self.refresh.is_zero() && self.refresh < Duration::from_secs(1) {
            return Err(SettingError::new(
                "VITALS_STATUS_REFRESH",
                &humantime::format_duration(self.refresh).to_string(),
                "must be 0s (no reload) or at least 1s",
            ));
        }
        Ok(())
    }

    /// Reads the `VITALS_STATUS_*` page variables.
    pub(crate) fn read(env: &Environment) -> Result<Self, SettingError> {
        let mut s = Self::default();
        if let Some(p) = env.parsed("VITALS_STATUS_PATH", path)? {
            s.path = p;
        }
        if let Some(n) = env.parsed("VITALS_STATUS_HISTORY", |v| match v.trim().parse::<u32>() {
            Ok(n) if (1..=MAX_HISTORY).contains(&n) => Ok(n),
            _ => Err(format!("must be a whole number from 1 to {MAX_HISTORY}")),
        })? {
            s.history = n as usize;
        }
        if let Some(d) = env.duration("VITALS_STATUS_REFRESH")? {
            if !d.is_zero() && d < Duration::from_secs(1) {
                return Err(SettingError::new(
                    "VITALS_STATUS_REFRESH",
                    &env.string("VITALS_STATUS_REFRESH").unwrap_or_default(),
                    "must be 0s (no reload) or at least 1s",
                ));
            }
            s.refresh = d;
        }
        Ok(s)
    }
}
