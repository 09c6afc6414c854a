//! The reference binaries' one entry point: settings from the environment (each part parsed by
//! its owner), logging, the chosen modules, serving until SIGTERM. See [`run`].
use std::process::ExitCode;
use vitals::Module;
use vitals_kernel::{Config, Kernel, init_logging};

/// A module to plug in, boxed so a binary can list several kinds.
pub trait ModuleBox {
    /// Plugs the module into `builder`.
    fn plug(self: Box<Self>, builder: vitals_kernel::KernelBuilder)
    -> vitals_kernel::KernelBuilder;
}

impl<M: Module> ModuleBox for M {
    fn plug(
        self: Box<Self>,
        builder: vitals_kernel::KernelBuilder,
    ) -> vitals_kernel::KernelBuilder {
        builder.module(*self)
    }
}

/// Why a binary did not serve: its settings (exit 64) or a failure while starting or serving
/// (exit 1).
#[derive(Debug)]
pub enum Failure {
    /// A setting cannot be used; printed as `Invalid configuration: …`.
    Config(String),
    /// Anything else.
    Other(String),
}

impl From<vitals_kernel::Error> for Failure {
    fn from(e: vitals_kernel::Error) -> Self {
        match e {
            vitals_kernel::Error::Config(_) => Self::Config(e.to_string()),
            other => Self::Other(other.to_string()),
        }
    }
}

impl From<vitals::settings::SettingError> for Failure {
    fn from(e: vitals::settings::SettingError) -> Self {
        Self::Config(e.to_string())
    }
}

impl From<vitals_module_database::Error> for Failure {
    fn from(e: vitals_module_database::Error) -> Self {
        use vitals_module_database::Error as E;
        match e {
            E::Config(_) | E::InvalidUrl { .. } | E::AggregatesFile { .. } => {
                Self::Config(e.to_string())
            }
            other => Self::Other(other.to_string()),
        }
    }
}

/// The signals module from the environment, as an embedding app gets it
/// (`SignalsModule::from_env`): off, with one log line, when no `VITALS_SIGNALS_*` source is
/// set. `aggregate_by_default`: whether this binary aggregates and exports when
/// `VITALS_SIGNALS_AGGREGATE` is unset (the collector does; app replicas only publish).
///
/// # Errors
/// A bad `VITALS_SIGNALS_*`, `VITALS_TENANT` or `VITALS_PROJECT` value (exit 64).
pub fn signals_from_env(aggregate_by_default: bool) -> Result<Box<dyn ModuleBox>, Failure> {
    let Some(mut config) = vitals_module_signals::SignalsConfig::from_env()? else {
        return Ok(Box::new(vitals_module_signals::SignalsModule::disabled()));
    };
    if aggregate_by_default && std::env::var_os("VITALS_SIGNALS_AGGREGATE").is_none() {
        config.exporter = true;
    }
    Ok(Box::new(vitals_module_signals::SignalsModule::new(config)?))
}

/// Runs a binary: `setup` reads the modules' settings and returns the modules (a settings error
/// exits 64 with `Invalid configuration: …`, like a bad kernel variable); the kernel's settings
/// come from the environment; logging starts; the kernel serves until SIGTERM/SIGINT (exit 0),
/// or the error is printed (exit 1).
pub async fn run<F, Fut>(name: &str, setup: F) -> ExitCode
where
    F: FnOnce(Config) -> Fut,
    Fut: std::future::Future<Output = Result<(Config, Vec<Box<dyn ModuleBox>>), Failure>>,
{
    let result = async {
        let config = Config::from_env()?;
        init_logging(config.log_format)?;
        let (config, modules) = setup(config).await?;
        let mut builder = Kernel::builder().config(config);
        for m in modules {
            builder = m.plug(builder);
        }
        builder.build()?.run().await?;
        Ok::<(), Failure>(())
    }
    .await;
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(Failure::Config(e)) => {
            eprintln!("Invalid configuration: {e}");
            ExitCode::from(64)
        }
        Err(Failure::Other(e)) => {
            tracing::error!("{e}");
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}
