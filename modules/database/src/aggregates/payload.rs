//! The stored form of an aggregate's rows in the results table: JSON, with the values that JSON
//! numbers cannot hold (NaN, ±Inf) written as the strings Prometheus uses for them; and the
//! fingerprint of the declaration a payload was computed for.
use super::sql::Row;
use crate::SqlAggregate;
use serde_json::{Value, json};

/// Changes whenever the payload's form changes, so that a payload is never read by code that
/// writes another form.
const FORM: u32 = 1;

/// The fingerprint of everything in a declaration that decides what its stored rows mean: the
/// SQL, the label and value columns (in order), the row limit, and the payload's form. Stable
/// across processes and builds (FNV-1a over a JSON array), 16 hex digits.
///
/// Help, TTL, timeout and staleness are left out: they do not change what a stored row means.
pub(crate) fn fingerprint(agg: &SqlAggregate) -> String {
    let canonical = json!([FORM, agg.sql, agg.labels, agg.values, agg.max_rows]).to_string();
    let hash = canonical.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

fn encode_value(v: Option<f64>) -> Value {
    match v {
        None => Value::Null,
        Some(x) if x.is_nan() => json!("NaN"),
        Some(x) if x == f64::INFINITY => json!("+Inf"),
        Some(x) if x == f64::NEG_INFINITY => json!("-Inf"),
        Some(x) => json!(x),
    }
}

fn decode_value(v: &Value) -> Result<Option<f64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_f64()
            .map(Some)
            .ok_or_else(|| format!("bad number {n}")),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(Some(f64::NAN)),
            "+Inf" => Ok(Some(f64::INFINITY)),
            "-Inf" => Ok(Some(f64::NEG_INFINITY)),
            other => Err(format!("bad value {other:?}")),
        },
        other => Err(format!("bad value {other}")),
    }
}

/// Rows as stored: `[[labels…], [values…]]` per row.
pub(crate) fn encode(rows: &[Row]) -> String {
    let rows: Vec<Value> = rows
        .iter()
        .map(|(labels, values)| {
            json!([
                labels,
                values.iter().map(|v| encode_value(*v)).collect::<Vec<_>>()
            ])
        })
        .collect();
    Value::Array(rows).to_string()
}

/// Reads what [`encode`] wrote for a declaration with `labels` label and `values` value
/// columns.
///
/// # Errors
/// A message when the payload is not of that form, or a row has another number of labels or
/// values.
pub(crate) fn decode(text: &str, labels: usize, values: usize) -> Result<Vec<Row>, String> {
    let parsed: Vec<(Vec<String>, Vec<Value>)> =
        serde_json::from_str(text).map_err(|e| format!("unreadable payload: {e}"))?;
    parsed
        .into_iter()
        .enumerate()
        .map(|(i, (l, v))| {
            if l.len() != labels || v.len() != values {
                return Err(format!(
                    "row {i} has {} labels and {} values where the declaration has {labels} and {values}",
                    l.len(),
                    v.len()
                ));
            }
            let v = v.iter().map(decode_value).collect::<Result<_, _>>()?;
            Ok((l, v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values_and_nulls_survive_the_round_trip() {
        let rows: Vec<Row> = vec![
            (vec!["a".into()], vec![Some(1.5), None]),
            (
                vec!["".into()],
                vec![Some(f64::INFINITY), Some(f64::NEG_INFINITY)],
            ),
            (vec!["<null>".into()], vec![Some(f64::NAN), Some(-0.25)]),
        ];
        let back = decode(&encode(&rows), 1, 2).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back[0], rows[0]);
        assert_eq!(back[1], rows[1]);
        assert_eq!(back[2].0, ["<null>"]);
        assert!(back[2].1[0].unwrap().is_nan());
        assert_eq!(back[2].1[1], Some(-0.25));
    }

    #[test]
    fn a_bad_payload_is_an_error_not_an_empty_result() {
        let table = [
            ("[[[\"a\"], [\"lots\"]]]", 1, 1, "bad value \"lots\""),
            ("not json", 1, 1, "unreadable payload"),
            (
                "[[[\"a\"], [1, 2]]]",
                1,
                3,
                "row 0 has 1 labels and 2 values where the declaration has 1 and 3",
            ),
            (
                "[[[\"a\"], [1, 2, 3]]]",
                1,
                2,
                "row 0 has 1 labels and 3 values",
            ),
            (
                "[[[], [1]], [[\"a\"], [1]]]",
                0,
                1,
                "row 1 has 1 labels and 1 values",
            ),
            ("{\"rows\": 1}", 0, 1, "unreadable payload"),
        ];
        for (text, labels, values, want) in table {
            let err = decode(text, labels, values).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn the_fingerprint_follows_what_decides_the_meaning_of_a_row() {
        let a = SqlAggregate::new(
            "jobs",
            "Jobs.",
            "SELECT status, count(*) AS n FROM jobs GROUP BY status",
        )
        .labels(["status"])
        .values(["n"]);
        let same = [
            a.clone().ttl(std::time::Duration::from_secs(5)),
            a.clone().timeout(std::time::Duration::from_secs(1)),
            SqlAggregate {
                help: "Other help.".into(),
                ..a.clone()
            },
        ];
        for b in same {
            assert_eq!(fingerprint(&a), fingerprint(&b));
        }
        let other = [
            SqlAggregate {
                sql: format!("{} ", a.sql),
                ..a.clone()
            },
            a.clone().labels(["state"]),
            a.clone().values(["m"]),
            a.clone()
                .labels(Vec::<String>::new())
                .values(["status", "n"]),
            a.clone().max_rows(5),
        ];
        for b in other {
            assert_ne!(fingerprint(&a), fingerprint(&b), "{b:?}");
        }
        assert_eq!(fingerprint(&a).len(), 16);
        // Stable across builds: a value computed once, by hand, stays.
        // FNV-1a of `[1,"SELECT 1",[],["value"],10000]`, computed apart (Python).
        assert_eq!(
            fingerprint(&SqlAggregate::new("x", "X.", "SELECT 1")),
            "f41f4a02d709ef45"
        );
    }
}
