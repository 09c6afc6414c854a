use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use vitals::{CheckOutcome, FnChecker, HealthChecker, check_fn};

/// A checker that counts its runs and returns whatever outcome it is told to.
pub struct Counting {
    name: String,
    runs: Arc<AtomicUsize>,
    delay: Duration,
    outcome: std::sync::Mutex<CheckOutcome>,
}

impl Counting {
    /// A healthy counting checker that takes `delay` per run.
    pub fn new(name: &str, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            name: name.to_owned(),
            runs: Arc::default(),
            delay,
            outcome: std::sync::Mutex::new(CheckOutcome::healthy()),
        })
    }

    /// How many times `check` has started.
    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    /// Changes what later runs return.
    pub fn set(&self, outcome: CheckOutcome) {
        *self.outcome.lock().unwrap() = outcome;
    }
}

#[vitals::async_trait]
impl HealthChecker for Counting {
    fn name(&self) -> &str {
        &self.name
    }
    async fn check(&self) -> CheckOutcome {
        self.runs.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.outcome.lock().unwrap().clone()
    }
}

type Fut = std::pin::Pin<Box<dyn std::future::Future<Output = CheckOutcome> + Send>>;

/// A checker that sleeps `delay` and then reports healthy.
pub fn sleeping(name: &str, delay: Duration) -> FnChecker<impl Fn() -> Fut + Send + Sync> {
    check_fn(name, move || -> Fut {
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            CheckOutcome::healthy()
        })
    })
}

/// A checker that panics with `message`.
pub fn panicking(name: &str, message: &'static str) -> FnChecker<impl Fn() -> Fut + Send + Sync> {
    check_fn(name, move || -> Fut {
        Box::pin(async move { panic!("{message}") })
    })
}

/// A checker that reports unhealthy with `reason`.
pub fn failing(name: &str, reason: &'static str) -> FnChecker<impl Fn() -> Fut + Send + Sync> {
    check_fn(name, move || -> Fut {
        Box::pin(async move { CheckOutcome::unhealthy(reason) })
    })
}

/// A `HealthRegistrar` that only keeps what it is given (for testing modules without a kernel).
#[derive(Default)]
pub struct Registrar {
    checkers: std::sync::Mutex<Vec<Arc<dyn HealthChecker>>>,
}

impl Registrar {
    /// The checker registered under `name`.
    pub fn checker(&self, name: &str) -> Option<Arc<dyn HealthChecker>> {
        self.checkers
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.name() == name)
            .cloned()
    }
}

impl vitals::HealthRegistrar for Registrar {
    fn register(&self, checker: Arc<dyn HealthChecker>) -> Result<(), vitals::Error> {
        self.checkers.lock().unwrap().push(checker);
        Ok(())
    }

    fn check_names(&self) -> Vec<String> {
        self.checkers
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.name().to_owned())
            .collect()
    }
}
