//! The stored form of an aggregate's rows in the results table: JSON, with the values that JSON
//! numbers cannot hold (NaN, ±Inf) written as the strings Prometheus uses for them.
use super::sql::Row;
use serde_json::{Value, json};

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

/// Reads what [`encode`] wrote.
///
/// # Errors
/// A message when the payload is not of that form.
pub(crate) fn decode(text: &str) -> Result<Vec<Row>, String> {
    let parsed: Vec<(Vec<String>, Vec<Value>)> =
        serde_json::from_str(text).map_err(|e| format!("unreadable payload: {e}"))?;
    parsed
        .into_iter()
        .map(|(labels, values)| {
            let values = values.iter().map(decode_value).collect::<Result<_, _>>()?;
            Ok((labels, values))
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
        let back = decode(&encode(&rows)).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back[0], rows[0]);
        assert_eq!(back[1], rows[1]);
        assert_eq!(back[2].0, ["<null>"]);
        assert!(back[2].1[0].unwrap().is_nan());
        assert_eq!(back[2].1[1], Some(-0.25));
    }

    #[test]
    fn a_bad_payload_is_an_error_not_an_empty_result() {
        assert!(decode("[[[\"a\"], [\"lots\"]]]").is_err());
        assert!(decode("not json").is_err());
    }
}
