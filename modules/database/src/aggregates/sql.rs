use sea_orm::{DbBackend, QueryResult};
use vitals::metrics::SqlAggregate;

fn quote(backend: DbBackend, ident: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{}`", ident.replace('`', "``")),
        _ => format!("\"{}\"", ident.replace('"', "\"\"")),
    }
}

/// The aggregate's query wrapped so every label column is read as text and every value column as
/// a double, whatever their SQL types (`count` is bigint, `sum` may be numeric, …).
pub(crate) fn wrapped(agg: &SqlAggregate, backend: DbBackend) -> String {
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
    let inner = agg.sql.trim().trim_end_matches(';').trim_end();
    format!(
        "SELECT {} FROM ({inner}) AS vitals_aggregate",
        cols.join(", ")
    )
}

/// The same query returning no rows: checks at start-up that the SQL and its columns exist.
pub(crate) fn probe(agg: &SqlAggregate, backend: DbBackend) -> String {
    format!("{} LIMIT 0", wrapped(agg, backend))
}

/// One result row: label values, then one value per value column (`None` for SQL NULL).
pub(crate) type Row = (Vec<String>, Vec<Option<f64>>);

pub(crate) fn read_rows(agg: &SqlAggregate, rows: &[QueryResult]) -> Result<Vec<Row>, String> {
    rows.iter()
        .map(|r| {
            let labels = agg
                .labels
                .iter()
                .map(|l| {
                    r.try_get::<Option<String>>("", l)
                        .map(Option::unwrap_or_default)
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
    fn wrapper_casts_columns_and_strips_the_semicolon() {
        let a = SqlAggregate::new(
            "jobs",
            "J.",
            "SELECT status, count(*) AS n FROM jobs GROUP BY status; ",
        )
        .labels(["status"])
        .values(["n"]);
        assert_eq!(
            wrapped(&a, DbBackend::Postgres),
            "SELECT CAST(\"status\" AS TEXT) AS \"status\", CAST(\"n\" AS DOUBLE PRECISION) AS \"n\" \
             FROM (SELECT status, count(*) AS n FROM jobs GROUP BY status) AS vitals_aggregate"
        );
        assert!(wrapped(&a, DbBackend::Sqlite).contains("CAST(\"n\" AS REAL)"));
        assert!(probe(&a, DbBackend::Sqlite).ends_with(" LIMIT 0"));
    }

    #[test]
    fn identifiers_are_quoted() {
        let a = SqlAggregate::new("x", "X.", "SELECT 1").values(["we\"ird"]);
        assert!(
            wrapped(&a, DbBackend::Postgres).contains("CAST(\"we\"\"ird\" AS DOUBLE PRECISION)")
        );
    }
}
