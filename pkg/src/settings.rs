//! Settings from the environment for the kernel and every module: one reader,
//! [`Environment`], whose typed getters name the variable and the value on error ([`SettingError`]).
use std::time::Duration;

/// Longest duration any setting accepts (one year): longer values are refused rather than
/// overflowing the clock arithmetic they feed.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// A setting whose value cannot be used: names the variable, the value (or `<withheld>` for a
/// secret) and the reason. Binaries print it and exit 64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var} {value:?}: {reason}")]
pub struct SettingError {
    /// The variable, e.g. `VITALS_BIND`.
    pub var: String,
    /// The value found (masked or withheld when secret).
    pub value: String,
    /// Why it is refused.
    pub reason: String,
}

impl SettingError {
    /// An error for `var` holding `value`.
    pub fn new(var: &str, value: &str, reason: impl Into<String>) -> Self {
        Self {
            var: var.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Reads settings from the environment (or a map, in tests), one typed reader per kind of value,
/// so every module parses and validates its variables the same way. A blank value counts as
/// unset.
///
/// ```
/// use std::time::Duration;
/// use vitals::settings::Environment;
///
/// let env = Environment::from_lookup(|var| match var {
///     "APP_TIMEOUT" => Some("250ms".to_owned()),
///     "APP_WORKERS" => Some("zero".to_owned()),
///     _ => None,
/// });
/// assert_eq!(env.positive_duration("APP_TIMEOUT").unwrap(), Some(Duration::from_millis(250)));
/// assert_eq!(env.count("APP_RETRIES").unwrap(), None);
/// assert_eq!(
///     env.count("APP_WORKERS").unwrap_err().to_string(),
///     "invalid APP_WORKERS \"zero\": must be a whole number of at least 1"
/// );
/// ```
pub struct Environment {
    lookup: Box<Lookup>,
}

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Environment {
    /// The process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// Any lookup (a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self {
            lookup: Box::new(lookup),
        }
    }

    /// The value exactly as set (blank included), `None` when unset.
    pub fn raw(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
    }

    /// The raw value, `None` when unset or blank.
    pub fn string(&self, var: &str) -> Option<String> {
        (self.lookup)(var).filter(|v| !v.trim().is_empty())
    }

    /// A value parsed by `parse`, whose error text becomes the reason.
    ///
    /// # Errors
    /// [`SettingError`] naming `var` and the value.
    pub fn parsed<T, E: std::fmt::Display>(
        &self,
        var: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, SettingError> {
        self.string(var)
            .map(|v| parse(&v).map_err(|e| SettingError::new(var, &v, e.to_string())))
            .transpose()
    }

    /// A duration such as `500ms`, `2s`, `1m` (at most [`MAX_DURATION`]); zero allowed.
    ///
    /// # Errors
    /// [`SettingError`] for text that is not a duration or is too long.
    pub fn duration(&self, var: &str) -> Result<Option<Duration>, SettingError> {
        self.parsed(var, |v| match humantime::parse_duration(v) {
            Ok(d) if d > MAX_DURATION => Err("must be at most 365 days".to_owned()),
            Ok(d) => Ok(d),
            Err(e) => Err(format!("{e} (use e.g. 500ms, 2s, 1m)")),
        })
    }

    /// Like [`duration`](Self::duration), greater than zero.
    ///
    /// # Errors
    /// [`SettingError`], also for zero.
    pub fn positive_duration(&self, var: &str) -> Result<Option<Duration>, SettingError> {
        match self.duration(var)? {
            Some(d) if d.is_zero() => Err(SettingError::new(
                var,
                &self.string(var).unwrap_or_default(),
                "must be greater than zero",
            )),
            d => Ok(d),
        }
    }

    /// A whole number of at least 1.
    ///
    /// # Errors
    /// [`SettingError`] for anything else.
    pub fn count(&self, var: &str) -> Result<Option<u32>, SettingError> {
        self.parsed(var, |v| match v.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err("must be a whole number of at least 1"),
        })
    }

    /// One of `choices` (`(text, value)` pairs); the reason lists the texts.
    ///
    /// # Errors
    /// [`SettingError`] for any other text.
    pub fn choice<T: Clone>(
        &self,
        var: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, SettingError> {
        self.parsed(var, |v| {
            choices
                .iter()
                .find(|(text, _)| *text == v)
                .map(|(_, value)| value.clone())
                .ok_or_else(|| {
                    let texts: Vec<&str> = choices.iter().map(|(t, _)| *t).collect();
                    format!("use {}", texts.join(", "))
                })
        })
    }

    /// `on`/`off` (also `true`/`false`, `1`/`0`).
    ///
    /// # Errors
    /// [`SettingError`] for any other text.
    pub fn switch(&self, var: &str) -> Result<Option<bool>, SettingError> {
        self.parsed(var, |v| match v {
            "on" | "true" | "1" => Ok(true),
            "off" | "false" | "0" => Ok(false),
            _ => Err("use on or off"),
        })
    }

    /// An HTTP header `Name: value` sent with outgoing requests (e.g. `Authorization: Bearer …`):
    /// the name a header token, the value non-empty visible ASCII (spaces and tabs allowed). The
    /// value is a credential: an error shows the name alone.
    ///
    /// ```
    /// use vitals::settings::Environment;
    ///
    /// let env = Environment::from_lookup(|var| match var {
    ///     "APP_HEADER" => Some("Authorization: Bearer s3cret".to_owned()),
    ///     "APP_BAD" => Some("Authorization:".to_owned()),
    ///     _ => None,
    /// });
    /// let (name, value) = env.header("APP_HEADER").unwrap().unwrap();
    /// assert_eq!((name.as_str(), value.as_str()), ("Authorization", "Bearer s3cret"));
    /// assert_eq!(env.header("APP_UNSET").unwrap(), None);
    /// assert_eq!(
    ///     env.header("APP_BAD").unwrap_err().to_string(),
    ///     "invalid APP_BAD \"Authorization: <withheld>\": \
    ///      must be `Name: value` with a token header name and a non-empty value"
    /// );
    /// ```
    ///
    /// # Errors
    /// [`SettingError`] with the value withheld.
    pub fn header(&self, var: &str) -> Result<Option<(String, String)>, SettingError> {
        let Some(h) = self.string(var) else {
            return Ok(None);
        };
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        let parsed = h.split_once(':').and_then(|(name, value)| {
            let (name, value) = (name.trim(), value.trim());
            let ok = !name.is_empty()
                && name.chars().all(token)
                && !value.is_empty()
                && value
                    .chars()
                    .all(|c| c == ' ' || c == '\t' || c.is_ascii_graphic());
            ok.then(|| (name.to_owned(), value.to_owned()))
        });
        parsed.map(Some).ok_or_else(|| {
            // Only a name that is a header token is shown: `Bearer s3cret:x` shows nothing.
            let shown = match h.split_once(':') {
                Some((name, _)) if !name.trim().is_empty() && name.trim().chars().all(token) => {
                    format!("{}: <withheld>", name.trim())
                }
                _ => "<withheld>".into(),
            };
            SettingError::new(
                var,
                &shown,
                "must be `Name: value` with a token header name and a non-empty value",
            )
        })
    }

    /// A secret (token, password): never echoed; surrounding whitespace (a secret written with
    /// `echo` ends in a newline) is refused rather than silently never matching.
    ///
    /// # Errors
    /// [`SettingError`] with the value withheld.
    pub fn secret(&self, var: &str) -> Result<Option<String>, SettingError> {
        match self.string(var) {
            Some(s) if s.trim() != s => Err(SettingError::new(
                var,
                "<withheld>",
                "has leading or trailing whitespace (a secret written with `echo` ends in a newline); remove it",
            )),
            s => Ok(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> Environment {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Environment::from_lookup(move |k| map.get(k).cloned())
    }

    #[test]
    fn each_reader_names_the_variable_and_the_value() {
        let e = env(&[
            ("D", "soon"),
            ("BIG", "500000000000y"),
            ("Z", "0s"),
            ("C", "-1"),
            ("M", "xml"),
            ("S", "maybe"),
            ("T", " tok\n"),
            ("H", "Bearer s3cret:x"),
            ("BLANK", "  "),
        ]);
        let table = [
            (
                e.duration("D").unwrap_err(),
                "invalid D \"soon\": expected number at 0 (use e.g. 500ms, 2s, 1m)",
            ),
            (
                e.duration("BIG").unwrap_err(),
                "invalid BIG \"500000000000y\": must be at most 365 days",
            ),
            (
                e.positive_duration("Z").unwrap_err(),
                "invalid Z \"0s\": must be greater than zero",
            ),
            (
                e.count("C").unwrap_err(),
                "invalid C \"-1\": must be a whole number of at least 1",
            ),
            (
                e.choice("M", &[("text", 0), ("json", 1)]).unwrap_err(),
                "invalid M \"xml\": use text, json",
            ),
            (
                e.switch("S").unwrap_err(),
                "invalid S \"maybe\": use on or off",
            ),
            (
                e.secret("T").unwrap_err(),
                "invalid T \"<withheld>\": has leading or trailing whitespace (a secret written with `echo` ends in a newline); remove it",
            ),
            (
                e.header("H").unwrap_err(),
                "invalid H \"<withheld>\": must be `Name: value` with a token header name and a non-empty value",
            ),
        ];
        for (err, want) in table {
            assert_eq!(err.to_string(), want);
        }
        assert_eq!(e.string("BLANK"), None);
        assert_eq!(e.duration("UNSET").unwrap(), None);
    }
}
