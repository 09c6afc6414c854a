use crate::SqlAggregate;
use sea_orm::{DbBackend, QueryResult};

/// The label value of a SQL NULL in a label column (an empty string stays empty).
pub(crate) const NULL_LABEL: &str = "<null>";

fn quote(backend: DbBackend, ident: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{}`", ident.replace('`', "``")),
        _ => format!("\"{}\"", ident.replace('"', "\"\"")),
    }
}

/// The aggregate's query wrapped so every label column is read as text and every value column as
/// a double, whatever their SQL types (`count` is bigint, `sum` may be numeric, …), and at most
/// one row more than `max_rows` is fetched (so an oversized result is refused, not read whole).
/// The SQL sits on lines of its own, so a trailing `--` comment cannot swallow the wrapper.
pub(crate) fn wrapped(agg: &SqlAggregate, backend: DbBackend) -> String {
    select(
        agg,
        backend,
        "vitals_aggregate",
        Some(agg.max_rows.saturating_add(1)),
    )
}

/// The same query returning no rows (the planner does not run it): checks that the SQL and its
/// columns exist. Its shape differs from the real query's, so `pg_stat_statements` counts the two
/// apart (it ignores aliases and constants).
pub(crate) fn probe(agg: &SqlAggregate, backend: DbBackend) -> String {
    select(agg, backend, "vitals_probe WHERE 1 = 0", None)
}

fn select(agg: &SqlAggregate, backend: DbBackend, alias: &str, limit: Option<usize>) -> String {
    let (text, num) = match backend {
        DbBackend::Postgres => ("TEXT", "DOUBLE PRECISION"),
        DbBackend::MySql => ("CHAR", "DOUBLE"),
        _ => ("TEXT", "REAL"),
    };
    let cols: Vec<String> = agg
        .labels
        .iter()
        .map(|l| format!("CAST({q} AS {text}) AS {q}", q = quote(backend, l)))
        .chain(
            agg.values
                .iter()
                .map(|v| format!("CAST({q} AS {num}) AS {q}", q = quote(backend, v))),
        )
        .collect();
    let inner = agg
        .sql
        .trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace());
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    // The SQL on lines of its own: a `--` comment it ends with stops at the line break, before
    // the closing parenthesis, alias and limit.
    format!(
        "SELECT {} FROM (\n{inner}\n) AS {alias}{limit}",
        cols.join(", ")
    )
}

/// One result row: label values, then one value per value column (`None` for SQL NULL).
pub(crate) type Row = (Vec<String>, Vec<Option<f64>>);

/// Reads the rows; more than the aggregate's `max_rows` is an error naming both counts.
pub(crate) fn read_rows(agg: &SqlAggregate, rows: &[QueryResult]) -> Result<Vec<Row>, String> {
    if rows.len() > agg.max_rows {
        return Err(format!(
            "returned more than max_rows ({}) rows; narrow the query or raise max_rows",
            agg.max_rows
        ));
    }
    rows.iter()
        .map(|r| {
            let labels = agg
                .labels
                .iter()
                .map(|l| {
                    r.try_get::<Option<String>>("", l)
                        .map(|v| v.unwrap_or_else(|| NULL_LABEL.to_owned()))
                        .map_err(|e| format!("column {l:?}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let values = agg
                .values
                .iter()
                .map(|v| {
                    r.try_get::<Option<f64>>("", v)
                        .map_err(|e| format!("column {v:?}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((labels, values))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapper_casts_columns_strips_the_semicolon_and_limits_rows() {
        let a = SqlAggregate::new(
            "jobs",
            "J.",
            "SELECT status, count(*) AS n FROM jobs GROUP BY status; ",
        )
        .labels(["status"])
        .values(["n"])
        .max_rows(100);
        assert_eq!(
            wrapped(&a, DbBackend::Postgres),
            "SELECT CAST(\"status\" AS TEXT) AS \"status\", CAST(\"n\" AS DOUBLE PRECISION) AS \"n\" \
             FROM (\nSELECT status, count(*) AS n FROM jobs GROUP BY status\n) AS vitals_aggregate LIMIT 101"
        );
        assert!(wrapped(&a, DbBackend::Sqlite).contains("CAST(\"n\" AS REAL)"));
        assert!(probe(&a, DbBackend::Sqlite).ends_with("AS vitals_probe WHERE 1 = 0"));
    }

    #[tokio::test]
    async fn a_trailing_line_comment_leaves_the_wrapper_and_its_limit_in_force() {
        use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
        async fn rows(db: &DatabaseConnection, sql: String) -> Result<usize, String> {
            db.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .map(|r| r.len())
                .map_err(|e| e.to_string())
        }
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let sql = "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n \
                   WHERE value < 10) SELECT value FROM n -- all ten\n";
        let a = SqlAggregate::new("ten", "T.", sql).max_rows(3);
        a.validate().unwrap();
        let limited = rows(&db, wrapped(&a, DbBackend::Sqlite)).await;
        assert_eq!(limited, Ok(4), "LIMIT max_rows+1");
        assert_eq!(
            rows(&db, probe(&a, DbBackend::Sqlite)).await,
            Ok(0),
            "WHERE 1 = 0"
        );
    }

    #[test]
    fn identifiers_are_quoted() {
        let a = SqlAggregate::new("x", "X.", "SELECT 1").values(["we\"ird"]);
        assert!(
            wrapped(&a, DbBackend::Postgres).contains("CAST(\"we\"\"ird\" AS DOUBLE PRECISION)")
        );
    }
}
