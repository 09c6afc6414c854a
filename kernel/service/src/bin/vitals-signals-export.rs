//! Run-once signals export, for a scheduled job (Kubernetes CronJob, ECS scheduled task):
//! aggregates the tenant's signals from Redis, pushes them to the Pushgateway once, and exits 0;
//! 1 when Redis or the Pushgateway fails, 64 on bad settings. Configured like the signals module
//! (`VITALS_SIGNALS_REDIS_URL`, `VITALS_SIGNALS_PUSHGATEWAY_URL`, `VITALS_TENANT`, …).
use std::process::ExitCode;
use vitals_module_signals::{SignalsConfig, SignalsModule};

#[tokio::main]
async fn main() -> ExitCode {
    let module = match SignalsConfig::from_env() {
        Ok(Some(c)) if c.pushgateway_url.is_some() => SignalsModule::new(c),
        Ok(Some(_)) => {
            eprintln!("Invalid configuration: VITALS_SIGNALS_PUSHGATEWAY_URL is required");
            return ExitCode::from(64);
        }
        Ok(None) => {
            eprintln!("Invalid configuration: VITALS_SIGNALS_REDIS_URL is required");
            return ExitCode::from(64);
        }
        Err(e) => {
            eprintln!("Invalid configuration: {e}");
            return ExitCode::from(64);
        }
    };
    let module = match module {
        Ok(m) => m,
        Err(e) => {
            eprintln!("Invalid configuration: {e}");
            return ExitCode::from(64);
        }
    };
    match module.export_once().await {
        Ok(()) => {
            eprintln!("signals exported");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("signals export failed: {e}");
            ExitCode::FAILURE
        }
    }
}
