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
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}
