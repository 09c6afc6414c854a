//! The notifier's settings ([`NotifyConfig`], [`Webhook`], [`Format`]) and how they are read
//! from the `VITALS_NOTIFY_*` variables.
use std::fmt;
use std::time::Duration;
use vitals::settings::{Environment, MAX_DURATION, SettingError};

/// Most messages a webhook's queue may be configured to hold.
pub const MAX_QUEUE: usize = 100_000;

/// Everything the notifier needs; every field is public and [`Default`] gives the documented
/// defaults (with no webhook). [`NotifyConfig::from_env`] reads it from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// Where messages go (`VITALS_NOTIFY_WEBHOOKS`).
    pub webhooks: Vec<Webhook>,
    /// Consecutive readings a new status needs before it is notified (`VITALS_NOTIFY_HOLD_READINGS`,
    /// default 2: a one-reading blip sends nothing).
    pub hold_readings: u32,
    /// Or: how long a new status needs to have held, seen on a later reading
    /// (`VITALS_NOTIFY_HOLD_TIME`, default off). Whichever of the two is met first; with
    /// `VITALS_NOTIFY_HOLD_TIME` set and `VITALS_NOTIFY_HOLD_READINGS` not, the time alone
    /// (`hold_readings` is then `u32::MAX`).
    pub hold_time: Option<Duration>,
    /// While a subject stays degraded or unhealthy, repeat its message this often, on the next
    /// reading past the interval (`VITALS_NOTIFY_REPEAT`, default 1 h; `None`: never).
    pub repeat: Option<Duration>,
    /// Messages each webhook's queue holds; when full the oldest is dropped
    /// (`VITALS_NOTIFY_QUEUE`, default 100).
    pub queue: usize,
    /// Deadline of each POST (`VITALS_NOTIFY_TIMEOUT`, default 5 s).
    pub timeout: Duration,
    /// Longest wait between two attempts: retries wait 1 s, 2 s, 4 s… up to this
    /// (`VITALS_NOTIFY_BACKOFF_MAX`, default 60 s).
    pub backoff_max: Duration,
    /// The status page's URL, put in every message (`VITALS_NOTIFY_LINK`, default none).
    pub link: Option<String>,
    /// Whether messages carry the failing checks' reasons (not a variable: the kernel sets it
    /// when its detail policy is `always`). Default off.
    pub details: bool,
    /// The service the checks and groups belong to, named in their messages (not a variable:
    /// the kernel sets it from `VITALS_SERVICE_NAME`; a fleet target is a service itself and is
    /// named alone). Default none.
    pub service: Option<String>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            webhooks: Vec::new(),
            hold_readings: 2,
            hold_time: None,
            repeat: Some(Duration::from_secs(3600)),
            queue: 100,
            timeout: Duration::from_secs(5),
            backoff_max: Duration::from_secs(60),
            link: None,
            details: false,
            service: None,
        }
    }
}

/// Where messages are POSTed, and in which shape.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its name in logs and in the metrics' `target` label: 1 to 32 of `a-z`, `0-9`, `_`, `-`.
    pub name: String,
    /// An `http://` or `https://` URL (its credentials, path and query are never logged).
    pub url: String,
    /// The payload's shape.
    pub format: Format,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.name)
            .field("url", &mask_url(&self.url))
            .field("format", &self.format)
            .finish()
    }
}

/// The shape of a message's body (both sent as `application/json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The generic JSON document (see the crate's front page).
    Json,
    /// A Slack incoming webhook's `{"text": "…"}` (also read by Mattermost, Rocket.Chat, Discord's
    /// `/slack` endpoint).
    Slack,
}

impl Format {
    /// `json` or `slack`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Slack => "slack",
        }
    }
}

const WEBHOOKS: &str = "VITALS_NOTIFY_WEBHOOKS";

impl NotifyConfig {
    /// Reads the `VITALS_NOTIFY_*` variables; `None` when `VITALS_NOTIFY_WEBHOOKS` is unset or
    /// blank (no notifications; the other variables are still checked).
    ///
    /// # Errors
    /// [`SettingError`] naming the first variable whose value cannot be used (URLs masked).
    pub fn from_env() -> Result<Option<Self>, SettingError> {
        Self::from_environment(&Environment::from_env())
    }

    /// Like [`from_env`](Self::from_env), through `env` (a map in tests).
    ///
    /// ```
    /// use std::time::Duration;
    /// use vitals::settings::Environment;
    /// use vitals_notify::{Format, NotifyConfig};
    ///
    /// let env = Environment::from_lookup(|var| match var {
    ///     "VITALS_NOTIFY_WEBHOOKS" => Some("ops=json:http://127.0.0.1:9000/hook".to_owned()),
    ///     "VITALS_NOTIFY_REPEAT" => Some("off".to_owned()),
    ///     _ => None,
    /// });
    /// let config = NotifyConfig::from_environment(&env).unwrap().unwrap();
    /// assert_eq!(config.webhooks[0].format, Format::Json);
    /// assert_eq!((config.hold_readings, config.repeat), (2, None));
    /// assert_eq!(config.timeout, Duration::from_secs(5));
    /// ```
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_environment(env: &Environment) -> Result<Option<Self>, SettingError> {
        let webhooks = match env.string(WEBHOOKS) {
            Some(raw) => parse_webhooks(&raw)
                .map_err(|reason| SettingError::new(WEBHOOKS, &mask_list(&raw), reason))?,
            None => Vec::new(),
        };
        let mut c = Self {
            webhooks,
            ..Self::default()
        };
        let readings = env.count("VITALS_NOTIFY_HOLD_READINGS")?;
        if let Some(d) = switchable_duration(env, "VITALS_NOTIFY_HOLD_TIME")? {
            c.hold_time = d;
        }
        // A hold time set alone is the one rule: the default two readings would otherwise be
        // met first, and the time never count.
        match readings {
            Some(n) => c.hold_readings = n,
            None if c.hold_time.is_some() => c.hold_readings = u32::MAX,
            None => {}
        }
        if let Some(d) = switchable_duration(env, "VITALS_NOTIFY_REPEAT")? {
            c.repeat = d;
        }
        if let Some(n) = env.parsed("VITALS_NOTIFY_QUEUE", |v| match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_QUEUE).contains(&n) => Ok(n),
            _ => Err(format!("must be a whole number from 1 to {MAX_QUEUE}")),
        })? {
            c.queue = n;
        }
        if let Some(d) = env.positive_duration("VITALS_NOTIFY_TIMEOUT")? {
            c.timeout = d;
        }
        if let Some(d) = env.duration("VITALS_NOTIFY_BACKOFF_MAX")? {
            if d < Duration::from_secs(1) {
                return Err(SettingError::new(
                    "VITALS_NOTIFY_BACKOFF_MAX",
                    &env.string("VITALS_NOTIFY_BACKOFF_MAX").unwrap_or_default(),
                    "must be at least 1s (retries start 1s apart)",
                ));
            }
            c.backoff_max = d;
        }
        c.link = env.parsed("VITALS_NOTIFY_LINK", |v| http_url(v).map(|()| v.to_owned()))?;
        // Every value is checked even when nothing is to be sent.
        Ok((!c.webhooks.is_empty()).then_some(c))
    }
}

/// A duration, or `off` (`Some(None)`); `None` when unset.
fn switchable_duration(
    env: &Environment,
    var: &str,
) -> Result<Option<Option<Duration>>, SettingError> {
    env.parsed(var, |v| {
        if v.trim() == "off" {
            return Ok(None);
        }
        match humantime::parse_duration(v.trim()) {
            Ok(d) if d.is_zero() => Err("must be greater than zero (or off)".to_owned()),
            Ok(d) if d > MAX_DURATION => Err("must be at most 365 days".to_owned()),
            Ok(d) => Ok(Some(d)),
            Err(e) => Err(format!("{e} (use e.g. 30s, 5m, 1h, or off)")),
        }
    })
}

fn parse_webhooks(raw: &str) -> Result<Vec<Webhook>, String> {
    let mut hooks: Vec<Webhook> = Vec::new();
    for (i, entry) in raw.split(',').map(str::trim).enumerate() {
        let hook = parse_webhook(entry).map_err(|e| format!("entry {}: {e}", i + 1))?;
        if hooks.iter().any(|h| h.name == hook.name) {
            return Err(format!(
                "entry {}: the name {:?} is used twice",
                i + 1,
                hook.name
            ));
        }
        hooks.push(hook);
    }
    Ok(hooks)
}

fn parse_webhook(entry: &str) -> Result<Webhook, String> {
    let shape = "use name=format:url, e.g. ops=json:https://example.com/hook";
    if entry.is_empty() {
        return Err(format!("is empty ({shape})"));
    }
    let (name, rest) = entry.split_once('=').ok_or_else(|| shape.to_owned())?;
    let (format, url) = rest.split_once(':').ok_or_else(|| shape.to_owned())?;
    let name = name.trim();
    validate_name(name)?;
    let format = match format.trim() {
        "json" => Format::Json,
        "slack" => Format::Slack,
        other => return Err(format!("unknown format {other:?} (use json or slack)")),
    };
    let url = url.trim();
    http_url(url)?;
    Ok(Webhook {
        name: name.to_owned(),
        url: url.to_owned(),
        format,
    })
}

/// Checks a webhook's name: 1 to 32 of `a-z`, `0-9`, `_`, `-`.
pub(crate) fn validate_name(name: &str) -> Result<(), String> {
    let ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err("the name must be 1 to 32 of a-z, 0-9, '_' and '-'".to_owned())
    }
}

/// Checks an `http://` or `https://` URL with a host; the reason never repeats the URL.
pub(crate) fn http_url(v: &str) -> Result<(), String> {
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(_) => Err("the URL must be http:// or https://".to_owned()),
        Err(e) => Err(format!("the URL is not valid: {e}")),
    }
}

/// The URL with what may be secret withheld: credentials dropped, path and query replaced by
/// `<withheld>` (a Slack webhook's secret is its path).
pub(crate) fn mask_url(v: &str) -> String {
    match url::Url::parse(v) {
        Ok(u) if u.host().is_some() => {
            let host = u.host_str().unwrap_or_default();
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let rest = if u.path() == "/" && u.query().is_none() {
                "/"
            } else {
                "/<withheld>"
            };
            format!("{}://{host}{port}{rest}", u.scheme())
        }
        _ => "<withheld>".to_owned(),
    }
}

/// A `VITALS_NOTIFY_WEBHOOKS` value with each entry's URL masked; a name or format that is not
/// one (it may be part of a URL) is withheld too.
fn mask_list(raw: &str) -> String {
    let plain = |s: &str| {
        s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    raw.split(',')
        .map(|entry| {
            let Some((name, rest)) = entry.split_once('=').filter(|(n, _)| plain(n.trim())) else {
                return if entry.trim().is_empty() {
                    String::new()
                } else {
                    "<withheld>".to_owned()
                };
            };
            match rest.split_once(':').filter(|(f, _)| plain(f.trim())) {
                Some((format, url)) => format!("{name}={format}:{}", mask_url(url.trim())),
                None => format!("{name}=<withheld>"),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}
