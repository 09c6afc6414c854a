use super::statement::{open_end, statement_tail};
use crate::Error;
use std::time::Duration;
use vitals::metrics::{validate_label_name, validate_metric_name};

/// A SQL aggregate exported as gauges, computed at most once per `ttl` window (the database module
/// runs it on a small dedicated pool; with PostgreSQL, once per window across all replicas).
///
/// Each row gives one sample per value column: labels from `labels`, value from the column. With
/// one value column the family is `name`; with several, `name_<column>` each.
///
/// ```
/// use std::time::Duration;
/// use vitals_module_database::SqlAggregate;
///
/// let jobs = SqlAggregate::new("jobs_by_status", "Jobs per status.",
///         "SELECT status, count(*) AS n FROM jobs GROUP BY status")
///     .labels(["status"])
///     .values(["n"])
///     .ttl(Duration::from_secs(30));
/// assert!(jobs.validate().is_ok());
/// assert!(jobs.clone().ttl(Duration::ZERO).validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SqlAggregate {
    /// Family name (gauge naming rules).
    pub name: String,
    /// Help text.
    pub help: String,
    /// The query; its result columns must include every label and value column.
    pub sql: String,
    /// Columns whose values become labels (read as text).
    pub labels: Vec<String>,
    /// Columns whose values become sample values (read as numbers).
    pub values: Vec<String>,
    /// How long a result is served before the query runs again. Defaults to 60 s.
    pub ttl: Duration,
    /// Longest a run may take, enforced by the database where it can. Defaults to 10 s.
    pub timeout: Duration,
    /// Oldest good result still served after failures. Defaults to 5 × TTL.
    pub max_staleness: Option<Duration>,
    /// Most rows a run may return; a larger result is refused (the aggregate reports `up` 0
    /// with the reason in the log). Defaults to [`DEFAULT_MAX_ROWS`].
    pub max_rows: usize,
}

/// Default row limit of an aggregate.
pub const DEFAULT_MAX_ROWS: usize = 10_000;

/// Longest TTL, timeout or staleness an aggregate accepts (one year): longer values are refused
/// rather than overflowing the clock arithmetic.
pub const MAX_AGGREGATE_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

impl SqlAggregate {
    /// An aggregate with one value column named `value` and the defaults above.
    pub fn new(name: &str, help: &str, sql: &str) -> Self {
        Self {
            name: name.to_owned(),
            help: help.to_owned(),
            sql: sql.to_owned(),
            labels: Vec::new(),
            values: vec!["value".to_owned()],
            ttl: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            max_staleness: None,
            max_rows: DEFAULT_MAX_ROWS,
        }
    }

    /// Sets the row limit.
    pub fn max_rows(mut self, n: usize) -> Self {
        self.max_rows = n;
        self
    }

    /// Sets the label columns.
    pub fn labels<S: Into<String>>(mut self, cols: impl IntoIterator<Item = S>) -> Self {
        self.labels = cols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the value columns.
    pub fn values<S: Into<String>>(mut self, cols: impl IntoIterator<Item = S>) -> Self {
        self.values = cols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the TTL.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the maximum staleness.
    pub fn max_staleness(mut self, max: Duration) -> Self {
        self.max_staleness = Some(max);
        self
    }

    /// The staleness limit in force.
    pub fn staleness_limit(&self) -> Duration {
        self.max_staleness
            .unwrap_or_else(|| self.ttl.saturating_mul(5))
    }

    /// The family name for one value column.
    ///
    /// ```
    /// let a = vitals_module_database::SqlAggregate::new("balance", "B.", "SELECT 1").values(["sum", "max"]);
    /// assert_eq!(a.family_name("max"), "balance_max");
    /// ```
    pub fn family_name(&self, value_column: &str) -> String {
        if self.values.len() == 1 {
            self.name.clone()
        } else {
            format!("{}_{}", self.name, value_column)
        }
    }

    /// Checks the declaration without touching a database: names, columns, TTL, timeout.
    ///
    /// # Errors
    /// [`Error::InvalidAggregate`] naming the aggregate and the problem.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |reason: String| Error::InvalidAggregate {
            name: self.name.clone(),
            reason,
        };
        validate_metric_name(&self.name, false).map_err(|e| bad(e.to_string()))?;
        if self.help.trim().is_empty() {
            return Err(bad("help is empty: say what the value means".into()));
        }
        if self.sql.trim().is_empty() {
            return Err(bad("sql is empty".into()));
        }
        if self.sql.contains('\0') {
            return Err(bad("sql holds a NUL character".into()));
        }
        if let Some(tail) = statement_tail(&self.sql) {
            return Err(bad(format!(
                "sql must be one statement: the ';' at byte {} ends a statement as {} reads it, \
                 and more SQL follows (a ';' is allowed only where every dialect reads a string, \
                 quoted name or comment)",
                tail.at, tail.dialect
            )));
        }
        if let Some(open) = open_end(&self.sql) {
            return Err(bad(format!(
                "sql ends inside a {} as {} reads it, so the kernel's wrapper after it would be \
                 read as part of it: close it (end a trailing `--` comment with a line break)",
                open.what, open.dialect
            )));
        }
        if self.values.is_empty() {
            return Err(bad("needs at least one value column".into()));
        }
        for v in &self.values {
            validate_metric_name(&self.family_name(v), false).map_err(|e| bad(e.to_string()))?;
        }
        for l in &self.labels {
            validate_label_name(l).map_err(|e| bad(e.to_string()))?;
            if self.values.contains(l) {
                return Err(bad(format!("column {l:?} is both a label and a value")));
            }
        }
        let mut all: Vec<&String> = self.labels.iter().chain(&self.values).collect();
        all.sort();
        if all.windows(2).any(|w| w[0] == w[1]) {
            return Err(bad("a column is listed twice".into()));
        }
        if self.ttl.is_zero() {
            return Err(bad("ttl must be greater than zero".into()));
        }
        if self.timeout.is_zero() {
            return Err(bad("timeout must be greater than zero".into()));
        }
        for (field, d) in [
            ("ttl", Some(self.ttl)),
            ("timeout", Some(self.timeout)),
            ("max_staleness", self.max_staleness),
        ] {
            if d.is_some_and(|d| d > MAX_AGGREGATE_DURATION) {
                return Err(bad(format!("{field} must be at most 365 days")));
            }
        }
        if self.max_rows == 0 {
            return Err(bad("max_rows must be at least 1".into()));
        }
        if self.staleness_limit() < self.ttl {
            return Err(bad("max_staleness must be at least the ttl".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_declarations_name_the_entry_and_the_problem() {
        let ok = SqlAggregate::new("jobs", "J.", "SELECT 1 AS value");
        let table = [
            (
                ok.clone().ttl(Duration::ZERO),
                "ttl must be greater than zero",
            ),
            (
                ok.clone().timeout(Duration::ZERO),
                "timeout must be greater than zero",
            ),
            (
                ok.clone().values(Vec::<String>::new()),
                "needs at least one value column",
            ),
            (
                ok.clone().labels(["value"]),
                "column \"value\" is both a label and a value",
            ),
            (
                ok.clone().labels(["le"]),
                "label names '__*', 'le' and 'quantile' are reserved",
            ),
            (
                SqlAggregate::new("Jobs", "J.", "SELECT 1"),
                "lower snake case",
            ),
            (
                SqlAggregate::new("jobs_total", "J.", "SELECT 1"),
                "only counters end in '_total'",
            ),
            (SqlAggregate::new("jobs", "J.", " "), "sql is empty"),
            (SqlAggregate::new("jobs", " ", "SELECT 1"), "help is empty"),
            (
                SqlAggregate::new("jobs", "J.", "SELECT 1 AS value; DELETE FROM jobs"),
                "sql must be one statement",
            ),
            (
                SqlAggregate::new("jobs", "J.", "SELECT 1 AS value -- trailing comment"),
                "sql ends inside a -- comment as SQLite reads it",
            ),
            (
                ok.clone().ttl(Duration::from_secs(u64::MAX)),
                "ttl must be at most 365 days",
            ),
            (ok.clone().max_rows(0), "max_rows must be at least 1"),
            (
                ok.clone().max_staleness(Duration::from_secs(1)),
                "max_staleness must be at least the ttl",
            ),
        ];
        for (agg, want) in table {
            let err = agg.validate().unwrap_err().to_string();
            assert!(err.starts_with("invalid SQL aggregate \""), "{err}");
            assert!(err.contains(want), "{err} should contain {want}");
        }
        assert!(ok.validate().is_ok());
    }
}
