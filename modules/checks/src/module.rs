//! The checks of a file as a module: what the reference binaries (and an app, in one line) plug
//! in when `VITALS_CHECKS_FILE` is set.
use std::sync::Arc;
use vitals::settings::{Environment, SettingError};
use vitals::{Error, HealthChecker, Module, ModuleContext};

/// Registers the checks of a checks file (see `docs/checks.md`).
///
/// ```no_run
/// # fn demo() -> Result<(), vitals::settings::SettingError> {
/// let checks = vitals_module_checks::ChecksModule::from_env()?; // none when unset
/// # let _ = checks; Ok(()) }
/// ```
#[derive(Default)]
pub struct ChecksModule {
    checks: Vec<Arc<dyn HealthChecker>>,
}

impl ChecksModule {
    /// The checks of `VITALS_CHECKS_FILE`; none when it is unset.
    ///
    /// # Errors
    /// The file unreadable or an entry that cannot be used, naming the variable, the file and
    /// the entry and field.
    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_environment(&Environment::from_env())
    }

    /// As [`from_env`](Self::from_env), from `env`.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_environment(env: &Environment) -> Result<Self, SettingError> {
        let Some(path) = env.string("VITALS_CHECKS_FILE") else {
            return Ok(Self::default());
        };
        let checks = crate::file::load(std::path::Path::new(&path))
            .map_err(|e| SettingError::new("VITALS_CHECKS_FILE", &path, e))?;
        Ok(Self { checks })
    }

    /// How many checks it registers.
    pub fn len(&self) -> usize {
        self.checks.len()
    }

    /// Whether it registers none.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }
}

#[async_trait::async_trait]
impl Module for ChecksModule {
    fn name(&self) -> &str {
        "checks"
    }

    fn register(&self, ctx: &ModuleContext) -> Result<(), Error> {
        for c in &self.checks {
            ctx.add_checker(c.clone())?;
        }
        Ok(())
    }
}
