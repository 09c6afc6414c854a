//! Run-once signals export, for a scheduled job (Kubernetes CronJob, ECS scheduled task):
//! aggregates the tenant's signals (from Redis, or the services' status documents in proxy
//! mode), sends them once to every configured export (Pushgateway, CloudWatch), and exits 0;
//! 1 when the source or an export fails, 64 on bad settings. Configured like the signals module.
use std::process::ExitCode;
use vitals_module_signals::{SignalsConfig, SignalsModule};

fn invalid(reason: impl std::fmt::Display) -> ExitCode {
    eprintln!("Invalid configuration: {reason}");
    ExitCode::from(64)
}

#[tokio::main]
async fn main() -> ExitCode {
    // Warnings (a datapoint CloudWatch refuses, named) go to stderr like the binaries' logs.
    let kernel_config = match vitals_kernel::Config::from_env() {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    if let Err(e) = vitals_kernel::init_logging(kernel_config.log_format) {
        return invalid(e);
    }
    let config = match SignalsConfig::from_env() {
        Ok(Some(c)) => c,
        Ok(None) => {
            return invalid("VITALS_SIGNALS_REDIS_URL or VITALS_SIGNALS_PROXY_URLS is required");
        }
        Err(e) => return invalid(e),
    };
    if config.pushgateway_url.is_none() && config.cloudwatch.is_none() {
        return invalid(
            "VITALS_SIGNALS_PUSHGATEWAY_URL or VITALS_SIGNALS_CLOUDWATCH_NAMESPACE is required",
        );
    }
    let module = match SignalsModule::new(config) {
        Ok(m) => m,
        Err(e) => return invalid(e),
    };
    // What is pushed is written by the kernel's `/metrics` encoder: a kernel built from the
    // same settings, not served.
    let kernel = match vitals_kernel::Kernel::builder()
        .config(kernel_config)
        .build()
    {
        Ok(k) => k,
        Err(e) => return invalid(e),
    };
    if let Err(e) = module.register_exports(&kernel.metrics()) {
        eprintln!("signals export failed: {e}");
        return ExitCode::FAILURE;
    }
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
