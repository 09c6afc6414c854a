//! Collected families in the Prometheus text format 0.0.4, for pushes.
use std::fmt::Write;
use vitals::metrics::{CollectedFamily, CollectedKind};

fn escape(v: &str, help: bool) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if !help => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        v.to_string()
    }
}

/// Renders `families` (empty ones left out).
pub(crate) fn render(families: &[CollectedFamily]) -> String {
    let mut out = String::new();
    for f in families.iter().filter(|f| !f.samples.is_empty()) {
        let kind = match f.kind {
            CollectedKind::Gauge => "gauge",
            CollectedKind::Counter => "counter",
        };
        let _ = writeln!(out, "# HELP {} {}", f.name, escape(&f.help, true));
        let _ = writeln!(out, "# TYPE {} {kind}", f.name);
        for (values, v) in &f.samples {
            out.push_str(&f.name);
            if !values.is_empty() {
                let labels: Vec<String> = f
                    .label_names
                    .iter()
                    .zip(values)
                    .map(|(n, v)| format!("{n}=\"{}\"", escape(v, false)))
                    .collect();
                let _ = write!(out, "{{{}}}", labels.join(","));
            }
            let _ = writeln!(out, " {}", number(*v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_labels_and_special_values() {
        let mut f = CollectedFamily::gauge("x_ratio", "A \\ help\nline.", &["signal"]);
        f.push(&["a\"b\\c\nd"], f64::INFINITY);
        f.push(&["n"], f64::NAN);
        let empty = CollectedFamily::gauge("y", "Empty.", &[]);
        assert_eq!(
            render(&[f, empty]),
            "# HELP x_ratio A \\\\ help\\nline.\n# TYPE x_ratio gauge\n\
             x_ratio{signal=\"a\\\"b\\\\c\\nd\"} +Inf\nx_ratio{signal=\"n\"} NaN\n"
        );
    }
}
