//! Exported names and units: the cluster figures' datapoints under their internal keys, and the mapping
//! file that renames them (`proc.queue.wait.p95` → `Processor/QueueWaitP95` in milliseconds).
use crate::cluster::{ClusterFigures, Derived, WINDOWS};
use serde::Deserialize;
use std::collections::HashSet;

/// What a datapoint measures, which fixes the units it may be exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A summed gauge, its maximum or an observation count.
    Count,
    /// Depth over capacity, in use over size.
    Ratio,
    /// A latency percentile, in seconds.
    Seconds,
}

impl Kind {
    /// The units this kind may be exported in, each with its factor from the base unit; the
    /// first is the default.
    fn units(self) -> &'static [(&'static str, f64)] {
        match self {
            Kind::Count => &[
                ("Count", 1.0),
                ("None", 1.0),
                ("Percent", 1.0),
                ("Bytes", 1.0),
                ("Count/Second", 1.0),
            ],
            Kind::Ratio => &[("None", 1.0), ("Percent", 100.0)],
            Kind::Seconds => &[
                ("Seconds", 1.0),
                ("Milliseconds", 1e3),
                ("Microseconds", 1e6),
            ],
        }
    }

    /// The kind a key names, from its suffix (`.p95`, `.p95.15m`, `.pressure`, …).
    fn of_key(key: &str) -> Kind {
        let base = WINDOWS
            .iter()
            .find_map(|(w, _)| key.strip_suffix(&format!(".{w}")))
            .unwrap_or(key);
        if [".p50", ".p95", ".p99"].iter().any(|s| base.ends_with(s)) {
            Kind::Seconds
        } else if base.ends_with(".pressure") || base.ends_with(".utilisation") {
            Kind::Ratio
        } else {
            Kind::Count
        }
    }
}

/// One value of the cluster figures under its internal key.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Internal key: `<gauge>`, `<gauge>.max.15m`, `<queue>.pressure`, `<pool>.utilisation`,
    /// `<latency>.p95` (last minute), `<latency>.p95.1h`, `<latency>.count`.
    pub key: String,
    /// Value in the base unit.
    pub value: f64,
    /// What it measures.
    pub kind: Kind,
}

/// The datapoints of `snap`, finite values only.
pub fn points(snap: &ClusterFigures) -> Vec<Point> {
    let mut out = Vec::new();
    let mut push = |key: String, value: f64, kind: Kind| {
        if value.is_finite() {
            out.push(Point { key, value, kind });
        }
    };
    let suffix = |i: usize| {
        if i == 0 {
            String::new()
        } else {
            format!(".{}", WINDOWS[i].0)
        }
    };
    for g in &snap.gauges {
        push(g.name.clone(), g.sum, Kind::Count);
        for (i, m) in g.max.iter().enumerate() {
            if let Some(m) = m {
                push(format!("{}.max.{}", g.name, WINDOWS[i].0), *m, Kind::Count);
            }
        }
        match snap.derived(g) {
            Some((Derived::QueuePressure, q, r)) => push(format!("{q}.pressure"), r, Kind::Ratio),
            Some((Derived::PoolUtilisation, p, r)) => {
                push(format!("{p}.utilisation"), r, Kind::Ratio);
            }
            None => {}
        }
    }
    for l in &snap.latencies {
        for (i, (count, qs)) in l.windows.iter().enumerate().take(snap.windows()) {
            push(
                format!("{}.count{}", l.name, suffix(i)),
                *count as f64,
                Kind::Count,
            );
            if let Some(qs) = qs {
                for (p, v) in ["p50", "p95", "p99"].iter().zip(qs) {
                    push(format!("{}.{p}{}", l.name, suffix(i)), *v, Kind::Seconds);
                }
            }
        }
    }
    out
}

/// A datapoint as exported: its name, value and unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// Exported metric name.
    pub name: String,
    /// Value in `unit`.
    pub value: f64,
    /// A CloudWatch standard unit name.
    pub unit: &'static str,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    key: String,
    name: String,
    unit: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    export_unmapped: bool,
    #[serde(default)]
    signal: Vec<Entry>,
}

/// Renames internal keys to exported names and units. Empty: every point under its key and
/// base unit. Otherwise only the mapped keys, unless `export_unmapped = true`.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    entries: Vec<(String, String, &'static str, f64)>,
    export_unmapped: bool,
}

impl Mapping {
    /// Reads and validates a mapping file.
    ///
    /// # Errors
    /// The file unreadable, not TOML of this shape, or an entry naming a unit its key cannot
    /// take; the message names the entry and the bad value.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
        Self::parse(&text)
    }

    /// Parses and validates mapping TOML.
    ///
    /// # Errors
    /// As [`Mapping::load`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        let (mut keys, mut names) = (HashSet::new(), HashSet::new());
        let mut entries = Vec::new();
        for (i, e) in file.signal.iter().enumerate() {
            let at = format!("signal {} (key {:?})", i + 1, e.key);
            if !crate::keys::valid_name(&e.key) {
                return Err(format!("{at}: not a signal key"));
            }
            let name_ok = !e.name.is_empty()
                && e.name.len() <= 255
                && e.name.chars().all(|c| c == ' ' || c.is_ascii_graphic());
            if !name_ok {
                return Err(format!(
                    "{at}: name {:?} must be 1 to 255 visible ASCII characters",
                    e.name
                ));
            }
            let units = Kind::of_key(&e.key).units();
            let (unit, factor) = match &e.unit {
                None => units[0],
                Some(u) => *units.iter().find(|(n, _)| n == u).ok_or_else(|| {
                    let allowed: Vec<&str> = units.iter().map(|(n, _)| *n).collect();
                    format!("{at}: unit {u:?} is not one of {}", allowed.join(", "))
                })?,
            };
            if !keys.insert(e.key.clone()) {
                return Err(format!("{at}: key mapped twice"));
            }
            if !names.insert(e.name.clone()) {
                return Err(format!("{at}: name {:?} used twice", e.name));
            }
            entries.push((e.key.clone(), e.name.clone(), unit, factor));
        }
        Ok(Self {
            entries,
            export_unmapped: file.export_unmapped,
        })
    }

    /// The exported form of `points`.
    pub fn export(&self, points: &[Point]) -> Vec<Exported> {
        let identity = self.entries.is_empty() || self.export_unmapped;
        points
            .iter()
            .filter_map(|p| {
                let entry = self.entries.iter().find(|(k, ..)| *k == p.key);
                match entry {
                    // The file's unit was checked against the key's suffix; a gauge that merely
                    // ends like a latency key keeps its own base unit.
                    Some((_, name, unit, factor))
                        if p.kind.units().iter().any(|u| u.0 == *unit) =>
                    {
                        Some(Exported {
                            name: name.clone(),
                            value: p.value * factor,
                            unit,
                        })
                    }
                    Some((_, name, ..)) => Some(Exported {
                        name: name.clone(),
                        value: p.value,
                        unit: p.kind.units()[0].0,
                    }),
                    None if identity => Some(Exported {
                        name: p.key.clone(),
                        value: p.value,
                        unit: p.kind.units()[0].0,
                    }),
                    None => None,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{GaugeSignal, LatencySignal};

    fn snapshot() -> ClusterFigures {
        let gauge = |name: &str, sum| GaugeSignal {
            name: name.into(),
            sum,
            publishers: 2,
            max: [Some(sum), Some(sum + 1.0), Some(sum + 2.0)],
        };
        ClusterFigures {
            gauges: vec![gauge("jobs.depth", 30.0), gauge("jobs.capacity", 120.0)],
            latencies: vec![LatencySignal {
                name: "proc.queue.wait".into(),
                windows: [(10, Some([0.01, 0.25, 0.5])), (0, None), (0, None)],
            }],
            history: true,
            cut: 0,
        }
    }

    #[test]
    fn every_value_has_a_key_and_the_mapping_renames_scales_and_filters() {
        let points = points(&snapshot());
        let keys: Vec<&str> = points.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "jobs.depth",
                "jobs.depth.max.1m",
                "jobs.depth.max.15m",
                "jobs.depth.max.1h",
                "jobs.pressure",
                "jobs.capacity",
                "jobs.capacity.max.1m",
                "jobs.capacity.max.15m",
                "jobs.capacity.max.1h",
                "proc.queue.wait.count",
                "proc.queue.wait.p50",
                "proc.queue.wait.p95",
                "proc.queue.wait.p99",
                "proc.queue.wait.count.15m",
                "proc.queue.wait.count.1h",
            ]
        );
        let mapping = Mapping::parse(
            r#"
            [[signal]]
            key = "proc.queue.wait.p95"
            name = "Processor/QueueWaitP95"
            unit = "Milliseconds"

            [[signal]]
            key = "jobs.pressure"
            name = "Jobs/Pressure"
            unit = "Percent"
            "#,
        )
        .unwrap();
        assert_eq!(
            mapping.export(&points),
            [
                Exported {
                    name: "Jobs/Pressure".into(),
                    value: 25.0,
                    unit: "Percent"
                },
                Exported {
                    name: "Processor/QueueWaitP95".into(),
                    value: 250.0,
                    unit: "Milliseconds"
                },
            ]
        );
        let all = Mapping::default().export(&points);
        assert_eq!(all.len(), points.len());
        assert_eq!(all[10].unit, "Seconds");
    }

    #[test]
    fn a_bad_entry_is_refused_naming_it_and_the_value() {
        let bad = |toml: &str| Mapping::parse(toml).unwrap_err();
        assert_eq!(
            bad("[[signal]]\nkey = \"x.p95\"\nname = \"X\"\nunit = \"Count\""),
            "signal 1 (key \"x.p95\"): unit \"Count\" is not one of Seconds, Milliseconds, Microseconds"
        );
        assert_eq!(
            bad("[[signal]]\nkey = \"Bad Key\"\nname = \"X\""),
            "signal 1 (key \"Bad Key\"): not a signal key"
        );
        assert_eq!(
            bad("[[signal]]\nkey = \"a\"\nname = \"X\"\n[[signal]]\nkey = \"b\"\nname = \"X\""),
            "signal 2 (key \"b\"): name \"X\" used twice"
        );
        assert_eq!(
            bad("[[signal]]\nkey = \"a\"\nname = \"\""),
            "signal 1 (key \"a\"): name \"\" must be 1 to 255 visible ASCII characters"
        );
        assert!(bad("[[signal]]\nkey = \"a\"\nname = \"A\"\nscale = 2").contains("scale"));
    }
}
