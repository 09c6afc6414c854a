use super::instruments::{Gauge, Histogram};
use crate::{Error, Metrics};
use std::sync::Arc;
use std::time::Instant;

/// How a background job ended: the `status` label of `vitals_job_duration_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Finished successfully.
    Ok,
    /// Failed, or panicked.
    Error,
    /// Dropped before it finished (its task was aborted or its future dropped).
    Cancelled,
    /// Gave up at its deadline.
    Timeout,
}

impl JobStatus {
    const ALL: [JobStatus; 4] = [Self::Ok, Self::Error, Self::Cancelled, Self::Timeout];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
            Self::Timeout => "timeout",
        }
    }
}

struct Kind {
    name: String,
    /// One histogram series per status, in [`JobStatus::ALL`] order.
    duration: Vec<Histogram>,
    in_progress: Gauge,
}

/// Times background jobs of a declared, bounded set of kinds:
/// `vitals_job_duration_seconds{kind,status}` (histogram) and `vitals_jobs_in_progress{kind}`.
/// [`start`](Self::start) returns a [`JobGuard`] that records when it is finished — or when it is
/// dropped, so a job that panics (status `error`) or is cancelled (status `cancelled`) is still
/// counted. Register it once per kernel (`Metrics::jobs`) and share it, e.g. through
/// `ModuleContext::provide`.
///
/// ```
/// let m = vitals::Metrics::noop();
/// let jobs = m.jobs(&["email", "report"]).unwrap();
/// let job = jobs.start("email").unwrap();
/// // … the work …
/// job.ok();
/// assert!(jobs.start("fax").is_err()); // not a declared kind
/// ```
#[derive(Clone)]
pub struct Jobs {
    kinds: Arc<Vec<Kind>>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field(
                "kinds",
                &self.kinds.iter().map(|k| &k.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Default buckets of `vitals_job_duration_seconds`: 10 ms to 1 h.
pub const JOB_BUCKETS: [f64; 12] = [
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

impl Metrics {
    /// Registers the job families for these kinds (label values: lower snake case), with the
    /// default buckets ([`JOB_BUCKETS`], 10 ms to 1 h).
    ///
    /// # Errors
    /// [`Error::DuplicateMetric`] when registered twice; [`Error::InvalidMetricName`] for a
    /// malformed kind or none at all.
    pub fn jobs(&self, kinds: &[&str]) -> Result<Jobs, Error> {
        self.jobs_with_buckets(kinds, JOB_BUCKETS.to_vec())
    }

    /// [`jobs`](Self::jobs) with buckets of the caller's (seconds, increasing), for jobs far
    /// shorter or longer than the defaults.
    ///
    /// ```
    /// let m = vitals::Metrics::noop();
    /// let jobs = m.jobs_with_buckets(&["cache_fill"], vec![1e-5, 1e-4, 1e-3, 1e-2]).unwrap();
    /// jobs.start("cache_fill").unwrap().ok();
    /// ```
    ///
    /// # Errors
    /// As [`jobs`](Self::jobs); the kernel's recorder refuses buckets that are not increasing
    /// ([`Error::Metric`]).
    pub fn jobs_with_buckets(&self, kinds: &[&str], buckets: Vec<f64>) -> Result<Jobs, Error> {
        if kinds.is_empty() {
            return Err(Error::InvalidMetricName {
                name: "vitals_job_duration_seconds".into(),
                reason: "declare at least one job kind",
            });
        }
        for k in kinds {
            super::naming::validate_metric_name(k, false).map_err(|_| {
                Error::InvalidMetricName {
                    name: (*k).to_owned(),
                    reason: "job kinds are lower snake case: [a-z_][a-z0-9_]*",
                }
            })?;
        }
        let duration = self.histogram_vec(
            "vitals_job_duration_seconds",
            "Duration of background jobs, by kind and how they ended.",
            &["kind", "status"],
            Some(buckets),
        )?;
        let in_progress = self.gauge_vec(
            "vitals_jobs_in_progress",
            "Background jobs running now, by kind.",
            &["kind"],
        )?;
        let kinds = kinds
            .iter()
            .map(|k| Kind {
                name: (*k).to_owned(),
                duration: JobStatus::ALL
                    .iter()
                    .map(|s| duration.with_label_values(&[k, s.as_str()]))
                    .collect(),
                in_progress: in_progress.with_label_values(&[k]),
            })
            .collect();
        Ok(Jobs {
            kinds: Arc::new(kinds),
        })
    }
}

impl Jobs {
    /// Starts timing one job of `kind`.
    ///
    /// # Errors
    /// [`Error::InvalidMetricName`] when `kind` was not declared (label values stay bounded).
    pub fn start(&self, kind: &str) -> Result<JobGuard, Error> {
        let index = self
            .kinds
            .iter()
            .position(|k| k.name == kind)
            .ok_or_else(|| Error::InvalidMetricName {
                name: kind.to_owned(),
                reason: "not a declared job kind",
            })?;
        self.kinds[index].in_progress.inc();
        Ok(JobGuard {
            jobs: self.clone(),
            index,
            started: Instant::now(),
            done: false,
        })
    }
}

/// One running job; records its duration and status when finished or dropped.
#[derive(Debug)]
#[must_use = "a dropped guard records the job as cancelled"]
pub struct JobGuard {
    jobs: Jobs,
    index: usize,
    started: Instant,
    done: bool,
}

impl JobGuard {
    /// Records the job as ended with `status`.
    pub fn finish(mut self, status: JobStatus) {
        self.record(status);
    }

    /// Records a success.
    pub fn ok(self) {
        self.finish(JobStatus::Ok);
    }

    /// Records a failure.
    pub fn error(self) {
        self.finish(JobStatus::Error);
    }

    /// Records a job that gave up at its deadline.
    pub fn timeout(self) {
        self.finish(JobStatus::Timeout);
    }

    fn record(&mut self, status: JobStatus) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let kind = &self.jobs.kinds[self.index];
        let slot = JobStatus::ALL
            .iter()
            .position(|s| *s == status)
            .unwrap_or(0);
        kind.duration[slot].observe(self.started.elapsed().as_secs_f64());
        kind.in_progress.dec();
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        // Dropped while unwinding: the job panicked; otherwise it was cancelled.
        let status = if std::thread::panicking() {
            JobStatus::Error
        } else {
            JobStatus::Cancelled
        };
        self.record(status);
    }
}
