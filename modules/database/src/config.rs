use crate::{AggregateMode, AggregatesConfig, AggregatesFile, Error};
use std::path::PathBuf;
use std::time::Duration;
use vitals::settings::{Environment, SettingError};

/// How to connect: URL, pool limits, aggregates.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `sqlite://file.db?mode=rwc`, `sqlite::memory:`, or `postgres://user:pass@host/db`.
    pub url: String,
    /// Largest number of pooled connections. Defaults to 10.
    pub max_connections: u32,
    /// How long a query waits for a pooled connection. Defaults to 5 s.
    pub acquire_timeout: Duration,
    /// Timeout of the `db` health check. Defaults to none: the kernel's check timeout.
    pub check_timeout: Option<Duration>,
    /// How long a reading of the `db` check is reused: a flood of `/ready` probes costs the
    /// database at most one `SELECT 1` per period. Zero runs it on every probe. Defaults to
    /// [`DatabaseConfig::DEFAULT_CHECK_CACHE_TTL`].
    pub check_cache_ttl: Duration,
    /// Registers only the aggregate gauges and the `db` check, not the request pool's gauges
    /// and query timing: for a process that serves no queries of its own (`vitals-collector`).
    /// Defaults to `false`.
    pub aggregates_only: bool,
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

    /// The `db` check's default cache TTL: 2 s.
    pub const DEFAULT_CHECK_CACHE_TTL: Duration = Duration::from_secs(2);

    /// Defaults with the given URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            check_timeout: None,
            check_cache_ttl: Self::DEFAULT_CHECK_CACHE_TTL,
            aggregates_only: false,
            aggregates: AggregatesConfig::default(),
        }
    }

    /// Reads the database module's variables from the process environment.
    ///
    /// | variable | default | meaning |
    /// |---|---|---|
    /// | `DATABASE_URL` | `sqlite://vitals.db?mode=rwc` | SQLite file or `postgres://…` |
    /// | `VITALS_DB_CHECK_CACHE_TTL` | `2s` | how long a `db` check reading is reused (`0s`: never) |
    /// | `VITALS_AGGREGATES` | `on` | serve the aggregate gauges here (`off` when a collector does) |
    /// | `VITALS_AGGREGATES_FILE` | unset | TOML file of `[[aggregate]]` entries |
    /// | `VITALS_AGGREGATE_DATABASE_URL` | unset | the aggregates' own URL (a read-only role) |
    /// | `VITALS_AGGREGATE_POOL_SIZE` | `2` | connections of the dedicated aggregate pool |
    /// | `VITALS_AGGREGATE_MODE` | `cluster` | `cluster` (once per window across replicas) or `local` |
    /// | `VITALS_AGGREGATE_STORE_TIMEOUT` | `1s` | deadline of each results-table call and aggregate-pool wait |
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable whose value cannot be used (a URL's password
    /// masked), the aggregates file's among them.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_environment(&Environment::from_env())
    }

    /// Reads the variables above through `env`.
    ///
    /// # Errors
    /// As [`DatabaseConfig::from_env`].
    pub fn from_environment(env: &Environment) -> Result<Self, Error> {
        let mut c = Self::default();
        let url_setting = |var: &str| -> Result<Option<String>, SettingError> {
            let Some(url) = env.string(var) else {
                return Ok(None);
            };
            match check_url(&url) {
                Err(Error::InvalidUrl {
                    url: masked,
                    reason,
                }) => Err(SettingError::new(var, &masked, reason)),
                _ => Ok(Some(url)),
            }
        };
        if let Some(url) = url_setting("DATABASE_URL")? {
            c.url = url;
        }
        if let Some(ttl) = env.duration("VITALS_DB_CHECK_CACHE_TTL")? {
            c.check_cache_ttl = ttl;
        }
        c.aggregates.url = url_setting("VITALS_AGGREGATE_DATABASE_URL")?;
        let a = &mut c.aggregates;
        if let Some(on) = env.switch("VITALS_AGGREGATES")? {
            a.enabled = on;
        }
        let path = env.parsed("VITALS_AGGREGATES_FILE", |v| {
            let path = PathBuf::from(v);
            if path.is_file() {
                Ok(path)
            } else {
                Err("no such file")
            }
        })?;
        // Read and checked here, with the other settings, when this process serves aggregates
        // (a replica with them off ignores the file): a bad entry stops the start before
        // anything connects, naming the variable, the file and the entry.
        if a.enabled
            && let Some(path) = path
        {
            a.file = Some(AggregatesFile::load(&path).map_err(|e| match e {
                Error::AggregatesFile { path, reason } => {
                    Error::Config(SettingError::new("VITALS_AGGREGATES_FILE", &path, reason))
                }
                other => other,
            })?);
        }
        if let Some(n) = env.count("VITALS_AGGREGATE_POOL_SIZE")? {
            a.pool_size = n;
        }
        if let Some(mode) = env.choice(
            "VITALS_AGGREGATE_MODE",
            &[
                ("cluster", AggregateMode::Cluster),
                ("local", AggregateMode::Local),
            ],
        )? {
            a.mode = mode;
        }
        if let Some(t) = env.positive_duration("VITALS_AGGREGATE_STORE_TIMEOUT")? {
            a.store_timeout = t;
        }
        Ok(c)
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

    fn load(vars: &[(&'static str, &'static str)]) -> Result<DatabaseConfig, String> {
        let vars = vars.to_vec();
        DatabaseConfig::from_environment(&Environment::from_lookup(move |k| {
            vars.iter()
                .find(|(v, _)| *v == k)
                .map(|(_, x)| (*x).to_owned())
        }))
        .map_err(|e| e.to_string())
    }

    #[test]
    fn environment_is_read_and_bad_values_name_the_variable() {
        let c = load(&[
            ("DATABASE_URL", "postgres://u:p@h/db"),
            ("VITALS_AGGREGATES", "off"),
            ("VITALS_AGGREGATE_MODE", "local"),
            ("VITALS_AGGREGATE_POOL_SIZE", "3"),
            ("VITALS_AGGREGATE_DATABASE_URL", "postgres://reader:r@h/db"),
            ("VITALS_DB_CHECK_CACHE_TTL", "0s"),
        ])
        .unwrap();
        assert_eq!(
            c.aggregates.url.as_deref(),
            Some("postgres://reader:r@h/db")
        );
        assert_eq!(c.check_cache_ttl, Duration::ZERO);
        assert_eq!(
            load(&[]).unwrap().check_cache_ttl,
            DatabaseConfig::DEFAULT_CHECK_CACHE_TTL
        );
        assert_eq!(c.url, "postgres://u:p@h/db");
        assert!(!c.aggregates.enabled);
        assert_eq!(c.aggregates.mode, AggregateMode::Local);
        assert_eq!(c.aggregates.pool_size, 3);
        let table = [
            (
                ("DATABASE_URL", "oracle://u:s3cret@x/db"),
                "invalid DATABASE_URL \"oracle://u:***@x/db\": unsupported scheme \"oracle\": use sqlite:, postgres:, postgresql:",
            ),
            (
                (
                    "VITALS_AGGREGATE_DATABASE_URL",
                    "oracle://reader:s3cret@x/db",
                ),
                "invalid VITALS_AGGREGATE_DATABASE_URL \"oracle://reader:***@x/db\": unsupported scheme \"oracle\": use sqlite:, postgres:, postgresql:",
            ),
            (
                ("VITALS_AGGREGATE_DATABASE_URL", "reader:s3cret@x/db"),
                "invalid VITALS_AGGREGATE_DATABASE_URL \"<not a URL; withheld>\": unsupported scheme \"reader\": use sqlite:, postgres:, postgresql:",
            ),
            (
                ("VITALS_DB_CHECK_CACHE_TTL", "often"),
                "invalid VITALS_DB_CHECK_CACHE_TTL \"often\": expected number at 0 (use e.g. 500ms, 2s, 1m)",
            ),
            (
                ("VITALS_AGGREGATES", "maybe"),
                "invalid VITALS_AGGREGATES \"maybe\": use on or off",
            ),
            (
                ("VITALS_AGGREGATES_FILE", "/no/such/file.toml"),
                "invalid VITALS_AGGREGATES_FILE \"/no/such/file.toml\": no such file",
            ),
            (
                ("VITALS_AGGREGATE_POOL_SIZE", "0"),
                "invalid VITALS_AGGREGATE_POOL_SIZE \"0\": must be a whole number of at least 1",
            ),
            (
                ("VITALS_AGGREGATE_MODE", "global"),
                "invalid VITALS_AGGREGATE_MODE \"global\": use cluster, local",
            ),
            (
                ("VITALS_AGGREGATE_STORE_TIMEOUT", "0s"),
                "invalid VITALS_AGGREGATE_STORE_TIMEOUT \"0s\": must be greater than zero",
            ),
        ];
        for (var, want) in table {
            assert_eq!(load(&[var]).unwrap_err(), want);
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

    #[test]
    fn the_aggregates_file_is_read_with_the_settings_only_where_aggregates_are_served() {
        let dir = std::env::temp_dir().join(format!("vitals-agg-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "[[aggregate]]\nname = \"jobs_pending\"\nhelp = \"Jobs.\"\nsql = \"SELECT 1 AS value\"\n",
        )
        .unwrap();
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[[aggregate]]\nname = \"jobs_pending\"\n").unwrap();
        let path = |p: &std::path::Path| -> &'static str {
            Box::leak(p.to_string_lossy().into_owned().into_boxed_str())
        };
        let (good, bad) = (path(&good), path(&bad));

        let c = load(&[("VITALS_AGGREGATES_FILE", good)]).unwrap();
        let file = c.aggregates.file.expect("read");
        assert_eq!(file.aggregates.len(), 1);
        assert_eq!(file.aggregates[0].name, "jobs_pending");

        let e = load(&[("VITALS_AGGREGATES_FILE", bad)]).unwrap_err();
        assert!(
            e.starts_with(&format!("invalid VITALS_AGGREGATES_FILE \"{bad}\": ")),
            "{e}"
        );
        assert!(e.contains("missing field `help`"), "{e}");

        // A replica with aggregates off does not read the file at all.
        let off = load(&[
            ("VITALS_AGGREGATES", "off"),
            ("VITALS_AGGREGATES_FILE", bad),
        ])
        .unwrap();
        assert!(off.aggregates.file.is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
