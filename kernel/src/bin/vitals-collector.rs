//! The standalone aggregate collector: one replica that serves the DB aggregate gauges
//! (`GET /metrics`, `GET /health`) with the database module's own code, so that app replicas
//! can run with `VITALS_AGGREGATES=off`. Configured by `DATABASE_URL`, `VITALS_BIND` and
//! `VITALS_AGGREGATES_FILE` (plus the optional variables of `vitals`).
use std::process::ExitCode;
use vitals_kernel::{Config, Kernel, init_logging};
use vitals_module_database::DatabaseModule;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env().and_then(check) {
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
            eprintln!("vitals-collector: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn check(c: Config) -> Result<Config, vitals_kernel::Error> {
    if !c.aggregates_enabled {
        return Err(vitals_kernel::Error::Config {
            var: "VITALS_AGGREGATES",
            value: "off".into(),
            reason: "the collector exists to serve aggregates; leave it unset here".into(),
        });
    }
    if c.aggregates_file.is_none() {
        return Err(vitals_kernel::Error::Config {
            var: "VITALS_AGGREGATES_FILE",
            value: String::new(),
            reason: "the collector needs a file of [[aggregate]] entries".into(),
        });
    }
    Ok(c)
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
