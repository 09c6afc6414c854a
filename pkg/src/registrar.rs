use crate::{Error, HealthChecker};
use std::sync::Arc;

/// Where health checkers are registered: the kernel's health registry, resolved from its
/// container. Thread-safe: checks may be added at start-up or while serving.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use vitals::{check_fn, CheckOutcome, Error, HealthChecker, HealthRegistrar};
///
/// #[derive(Default)]
/// struct Names(Mutex<Vec<String>>);
/// impl HealthRegistrar for Names {
///     fn register(&self, checker: Arc<dyn HealthChecker>) -> Result<(), Error> {
///         self.0.lock().unwrap().push(checker.name().to_owned());
///         Ok(())
///     }
///     fn check_names(&self) -> Vec<String> { self.0.lock().unwrap().clone() }
/// }
///
/// let names = Names::default();
/// names.register(Arc::new(check_fn("ping", || async { CheckOutcome::healthy() }))).unwrap();
/// assert_eq!(names.check_names(), ["ping"]);
/// ```
pub trait HealthRegistrar: shaku::Interface {
    /// Adds a checker.
    ///
    /// # Errors
    /// [`Error::DuplicateCheck`], [`Error::InvalidCheckName`], [`Error::NoGroup`] and
    /// [`Error::ExternalInLiveness`].
    fn register(&self, checker: Arc<dyn HealthChecker>) -> Result<(), Error>;

    /// The names of every registered check, in registration order.
    fn check_names(&self) -> Vec<String>;
}
