//! The Vitals reference service: the kernel with the database module, configured from the environment.
use std::process::ExitCode;
use vitals_kernel::{Config, Kernel, init_logging};
use vitals_module_database::DatabaseModule;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Invalid configuration: {e}");
            return ExitCode::from(64);
        }
    };
    if let Err(e) = init_logging(config.log_format) {
        eprintln!("Invalid configuration: {e}");
        return ExitCode::from(64);
    }
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("vitals: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let db = DatabaseModule::connect(config.database()).await?;
    Kernel::builder()
        .config(&config)
        .module(db)
        .build()?
        .run()
        .await?;
    tracing::info!("stopped");
    Ok(())
}
