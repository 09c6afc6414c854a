use crate::{Config, Kernel, init_logging};
use std::process::ExitCode;
use vitals_module_database::DatabaseModule;

/// Runs a service binary: reads and checks the configuration (exit 64 with
/// `Invalid configuration: …`), starts logging, connects the database module and serves the
/// kernel until SIGTERM/SIGINT (exit 0), or prints the error (exit 1).
pub async fn run_service(name: &str, config: Result<Config, crate::Error>) -> ExitCode {
    let config = match config.and_then(|c| init_logging(c.log_format).map(|()| c)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Invalid configuration: {e}");
            return ExitCode::from(64);
        }
    };
    let result = async {
        let db = DatabaseModule::connect(config.database()).await?;
        Kernel::builder()
            .config(&config)
            .module(db)
            .build()?
            .run()
            .await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    }
    .await;
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) if is_config_error(&*e) => {
            eprintln!("Invalid configuration: {e}");
            ExitCode::from(64)
        }
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Whether a start-up error is the configuration's fault (a setting or the aggregates file):
/// those exit 64 like a bad variable.
fn is_config_error(e: &(dyn std::error::Error + 'static)) -> bool {
    matches!(
        e.downcast_ref::<crate::Error>(),
        Some(crate::Error::Config { .. })
    ) || matches!(
        e.downcast_ref::<vitals_module_database::Error>(),
        Some(
            vitals_module_database::Error::InvalidUrl { .. }
                | vitals_module_database::Error::AggregatesFile { .. }
        )
    )
}
