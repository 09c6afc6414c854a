use crate::{AggregatesConfig, Error};
use std::time::Duration;

/// How to connect: URL, pool limits, aggregates.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `sqlite://file.db?mode=rwc`, `sqlite::memory:`, or `postgres://user:pass@host/db`.
    pub url: String,
    /// Largest number of pooled connections. Defaults to 10.
    pub max_connections: u32,
    /// How long a query waits for a pooled connection. Defaults to 5 s.
    pub acquire_timeout: Duration,
    /// Timeout of the `db` health check. Defaults to 1 s.
    pub check_timeout: Duration,
    /// The aggregate gauges.
    pub aggregates: AggregatesConfig,
}

/// The URL schemes this build accepts (`mysql` with the `mysql` feature).
pub const SCHEMES: &[&str] = &[
    "sqlite",
    "postgres",
    "postgresql",
    #[cfg(feature = "mysql")]
    "mysql",
];

impl DatabaseConfig {
    /// The embedded default: a SQLite file `vitals.db` in the working directory.
    pub const DEFAULT_URL: &'static str = "sqlite://vitals.db?mode=rwc";

    /// Defaults with the given URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            check_timeout: Duration::from_secs(1),
            aggregates: AggregatesConfig::default(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self::new(Self::DEFAULT_URL)
    }
}

/// `url` with any password replaced by `***`; a string that is not a URL with an authority is
/// withheld whole, since it may hold a password in a place the parser did not find.
///
/// ```
/// use vitals_module_database::masked_url;
/// assert_eq!(masked_url("postgres://u:pw@h/db"), "postgres://u:***@h/db");
/// assert_eq!(masked_url("not a url"), "<not a URL; withheld>");
/// ```
pub fn masked_url(url: &str) -> String {
    match url::Url::parse(url) {
        // `user:secret@host` parses as scheme `user` with an opaque path: nothing to mask safely.
        Ok(u) if u.cannot_be_a_base() && u.scheme() != "sqlite" => {
            "<not a URL; withheld>".to_owned()
        }
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "<not a URL; withheld>".to_owned(),
    }
}

/// Checks that `url` parses and has a scheme of [`SCHEMES`].
///
/// # Errors
/// [`Error::InvalidUrl`] with the masked URL and the accepted schemes.
pub fn check_url(url: &str) -> Result<(), Error> {
    let invalid = |reason: String| Error::InvalidUrl {
        url: masked_url(url),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !SCHEMES.contains(&parsed.scheme()) {
        return Err(invalid(format!(
            "unsupported scheme {:?}: use {}",
            parsed.scheme(),
            SCHEMES
                .iter()
                .map(|s| format!("{s}:"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        let table = [
            ("postgres://u:pw@h:5432/db", "postgres://u:***@h:5432/db"),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("oracle://u:s3cret@h/db", "oracle://u:***@h/db"),
            ("sqlite://vitals.db?mode=rwc", "sqlite://vitals.db?mode=rwc"),
            ("sqlite::memory:", "sqlite::memory:"),
            ("u:s3cret@h/db", "<not a URL; withheld>"),
        ];
        for (url, want) in table {
            assert_eq!(masked_url(url), want);
        }
    }

    #[test]
    fn unsupported_schemes_are_refused_without_the_password() {
        let err = check_url("oracle://u:s3cret@h/db").unwrap_err().to_string();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(
            err.starts_with(
                "invalid database URL \"oracle://u:***@h/db\": unsupported scheme \"oracle\": use sqlite:, postgres:, postgresql:"
            ),
            "{err}"
        );
        let err = check_url("u:s3cret@h/db").unwrap_err().to_string();
        assert!(!err.contains("s3cret"), "{err}");
        for good in [
            "sqlite::memory:",
            "sqlite://vitals.db?mode=rwc",
            "postgres://u:p@h/db",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
    }
}
