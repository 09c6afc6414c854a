//! Export to AWS CloudWatch with `PutMetricData`: credentials and region from the standard AWS
//! chain, batches within the per-call limit, the SDK's retries with backoff, every call under
//! a deadline. The client is built on first export, so a missing AWS never stops a start.
use super::mapping::Exported;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::error::DisplayErrorContext;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};
use tokio::sync::OnceCell;
use vitals::metrics::Counter;
use vitals::settings::{Environment, SettingError};

/// `PutMetricData` takes at most 1,000 datums per call.
pub const MAX_DATUMS_PER_CALL: usize = 1_000;
/// A metric takes at most 30 dimensions.
const MAX_DIMENSIONS: usize = 30;

/// Where CloudWatch datapoints go.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudWatchConfig {
    /// Namespace (`VITALS_SIGNALS_CLOUDWATCH_NAMESPACE`); setting it turns the export on.
    pub namespace: String,
    /// Region (`VITALS_SIGNALS_CLOUDWATCH_REGION`); unset: the standard chain (`AWS_REGION`,
    /// profile, instance metadata).
    pub region: Option<String>,
    /// Dimensions of every datapoint (`VITALS_SIGNALS_CLOUDWATCH_DIMENSIONS`, a JSON object of
    /// strings, e.g. `{"Service":"api","Tenant":"acme"}`).
    pub dimensions: Vec<(String, String)>,
}

impl CloudWatchConfig {
    /// From `env`; `None` when no namespace is set.
    ///
    /// # Errors
    /// A [`SettingError`] naming the first bad variable and its value.
    pub fn from_environment(env: &Environment) -> Result<Option<Self>, SettingError> {
        let Some(namespace) = env.string("VITALS_SIGNALS_CLOUDWATCH_NAMESPACE") else {
            return Ok(None);
        };
        let visible = |s: &str| s.chars().all(|c| c == ' ' || c.is_ascii_graphic());
        if namespace.len() > 255 || !visible(&namespace) || namespace.starts_with("AWS/") {
            return Err(SettingError::new(
                "VITALS_SIGNALS_CLOUDWATCH_NAMESPACE",
                &namespace,
                "must be 1 to 255 visible ASCII characters, not starting with AWS/",
            ));
        }
        let region = env.string("VITALS_SIGNALS_CLOUDWATCH_REGION");
        if let Some(r) = &region
            && !r
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(SettingError::new(
                "VITALS_SIGNALS_CLOUDWATCH_REGION",
                r,
                "must be a region name such as eu-west-1",
            ));
        }
        let dimensions = match env.string("VITALS_SIGNALS_CLOUDWATCH_DIMENSIONS") {
            None => Vec::new(),
            Some(json) => dimensions(&json).map_err(|reason| {
                SettingError::new("VITALS_SIGNALS_CLOUDWATCH_DIMENSIONS", &json, reason)
            })?,
        };
        Ok(Some(Self {
            namespace,
            region,
            dimensions,
        }))
    }
}

fn dimensions(json: &str) -> Result<Vec<(String, String)>, String> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).map_err(|e| format!("not a JSON object: {e}"))?;
    if map.len() > MAX_DIMENSIONS {
        return Err(format!("at most {MAX_DIMENSIONS} dimensions"));
    }
    map.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(v)
                if (1..=255).contains(&k.len()) && (1..=1024).contains(&v.len()) =>
            {
                Ok((k, v))
            }
            _ => Err(format!(
                "dimension {k:?}: names are 1 to 255 characters, values strings of 1 to 1024"
            )),
        })
        .collect()
}

/// The CloudWatch exporter.
pub(crate) struct CloudWatch {
    config: CloudWatchConfig,
    timeout: Duration,
    client: OnceCell<Client>,
    unsendable: OnceLock<Counter>,
}

/// Whether CloudWatch accepts `v`: it refuses a whole call for one value above 2^360 (~1e108)
/// in magnitude, non-zero below 2^-360, or not finite.
fn sendable(v: f64) -> bool {
    let (lo, hi) = (2f64.powi(-360), 2f64.powi(360));
    v.is_finite() && (v == 0.0 || (lo..=hi).contains(&v.abs()))
}

impl CloudWatch {
    pub(crate) fn new(config: CloudWatchConfig, timeout: Duration) -> Self {
        Self {
            config,
            timeout,
            client: OnceCell::new(),
            unsendable: OnceLock::new(),
        }
    }

    /// Declares `vitals_signals_cloudwatch_unsendable_total`.
    pub(crate) fn instrument(&self, metrics: &vitals::Metrics) -> Result<(), vitals::Error> {
        let c = metrics.counter(
            "vitals_signals_cloudwatch_unsendable_total",
            "Datapoints not sent to CloudWatch because it refuses their value (beyond ±2^360, non-zero below 2^-360, or not finite); the log names the key.",
        )?;
        let _ = self.unsendable.set(c);
        Ok(())
    }

    async fn client(&self) -> Result<&Client, String> {
        self.client
            .get_or_try_init(|| async {
                let t = self.timeout;
                let retry = aws_config::retry::RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(200));
                let timeouts = aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(t)
                    .operation_attempt_timeout(t * 2)
                    .operation_timeout(t * 8)
                    .build();
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .retry_config(retry)
                    .timeout_config(timeouts);
                if let Some(r) = &self.config.region {
                    loader = loader.region(aws_config::Region::new(r.clone()));
                }
                let conf = tokio::time::timeout(t * 5, loader.load())
                    .await
                    .map_err(|_| "loading the AWS configuration timed out".to_owned())?;
                if conf.region().is_none() {
                    return Err(
                        "no AWS region: set VITALS_SIGNALS_CLOUDWATCH_REGION or AWS_REGION".into(),
                    );
                }
                Ok(Client::new(&conf))
            })
            .await
    }

    /// Puts `metrics` in batches of at most [`MAX_DATUMS_PER_CALL`], all stamped now with the
    /// configured dimensions; a value CloudWatch would refuse is left out, counted and logged
    /// by name, and the rest still go. Every batch is tried even when one fails. Returns the
    /// number of calls that succeeded.
    ///
    /// # Errors
    /// Every call that failed after the SDK's retries, with AWS's reason.
    pub(crate) async fn put(&self, metrics: &[Exported]) -> Result<usize, String> {
        let client = self.client().await?;
        let (metrics, refused): (Vec<&Exported>, Vec<&Exported>) =
            metrics.iter().partition(|m| sendable(m.value));
        if !refused.is_empty() {
            let names: Vec<&str> = refused.iter().map(|m| m.name.as_str()).collect();
            tracing::warn!(metrics = ?names, "values CloudWatch refuses left out of PutMetricData");
            if let Some(c) = self.unsendable.get() {
                c.inc_by(refused.len() as u64);
            }
        }
        let now = DateTime::from(SystemTime::now());
        let dims: Vec<Dimension> = self
            .config
            .dimensions
            .iter()
            .map(|(k, v)| Dimension::builder().name(k).value(v).build())
            .collect();
        let batches = batches(&metrics);
        let (mut sent, mut errors) = (0, Vec::new());
        for batch in &batches {
            let datums = batch.iter().map(|m| {
                MetricDatum::builder()
                    .metric_name(&m.name)
                    .value(m.value)
                    .unit(StandardUnit::from(m.unit))
                    .timestamp(now)
                    .set_dimensions(Some(dims.clone()))
                    .build()
            });
            match client
                .put_metric_data()
                .namespace(&self.config.namespace)
                .set_metric_data(Some(datums.collect()))
                .send()
                .await
            {
                Ok(_) => sent += 1,
                Err(e) => errors.push(format!("PutMetricData: {}", DisplayErrorContext(&e))),
            }
        }
        if errors.is_empty() {
            Ok(sent)
        } else {
            Err(errors.join("; "))
        }
    }
}

/// `metrics` cut into calls of at most [`MAX_DATUMS_PER_CALL`].
fn batches<T>(metrics: &[T]) -> Vec<&[T]> {
    metrics.chunks(MAX_DATUMS_PER_CALL).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&'static str, &'static str)]) -> Result<Option<CloudWatchConfig>, String> {
        let vars = vars.to_vec();
        let env = Environment::from_lookup(move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        });
        CloudWatchConfig::from_environment(&env).map_err(|e| e.to_string())
    }

    #[test]
    fn namespace_turns_it_on_and_bad_values_are_named() {
        assert_eq!(parse(&[]), Ok(None));
        let ns = ("VITALS_SIGNALS_CLOUDWATCH_NAMESPACE", "Shop/Signals");
        let c = parse(&[
            ns,
            (
                "VITALS_SIGNALS_CLOUDWATCH_DIMENSIONS",
                r#"{"Service":"api","Tenant":"acme"}"#,
            ),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            c.dimensions,
            [
                ("Service".into(), "api".into()),
                ("Tenant".into(), "acme".into())
            ]
        );
        assert_eq!(
            parse(&[("VITALS_SIGNALS_CLOUDWATCH_NAMESPACE", "AWS/EC2")]).unwrap_err(),
            "invalid VITALS_SIGNALS_CLOUDWATCH_NAMESPACE \"AWS/EC2\": must be 1 to 255 visible ASCII characters, not starting with AWS/"
        );
        assert_eq!(
            parse(&[
                ns,
                ("VITALS_SIGNALS_CLOUDWATCH_DIMENSIONS", r#"{"Service":3}"#)
            ])
            .unwrap_err(),
            "invalid VITALS_SIGNALS_CLOUDWATCH_DIMENSIONS \"{\\\"Service\\\":3}\": dimension \"Service\": names are 1 to 255 characters, values strings of 1 to 1024"
        );
        assert!(
            parse(&[ns, ("VITALS_SIGNALS_CLOUDWATCH_DIMENSIONS", "Service=api")])
                .unwrap_err()
                .contains("not a JSON object")
        );
        assert!(
            parse(&[ns, ("VITALS_SIGNALS_CLOUDWATCH_REGION", "EU West")])
                .unwrap_err()
                .starts_with("invalid VITALS_SIGNALS_CLOUDWATCH_REGION \"EU West\"")
        );
    }

    #[test]
    fn datapoints_are_cut_into_calls_of_at_most_a_thousand() {
        let m = Exported {
            name: "x".into(),
            value: 1.0,
            unit: "Count",
        };
        let metrics = vec![m; 2_500];
        let sizes: Vec<usize> = batches(&metrics).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [1_000, 1_000, 500]);
        assert!(batches::<Exported>(&[]).is_empty());
    }

    #[test]
    fn values_cloudwatch_refuses_are_told_apart() {
        for v in [0.0, 1.0, -3.5, 1e100, -1e-100, 2f64.powi(360)] {
            assert!(sendable(v), "{v}");
        }
        for v in [
            1e200,
            -1e109,
            1e-200,
            f64::NAN,
            f64::INFINITY,
            2f64.powi(361),
        ] {
            assert!(!sendable(v), "{v}");
        }
    }
}
