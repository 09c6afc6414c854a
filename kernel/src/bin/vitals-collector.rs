//! The standalone aggregate collector: one replica that serves the DB aggregate gauges
//! (`GET /metrics`, `GET /health`) with the database module's own code, so that app replicas
//! can run with `VITALS_AGGREGATES=off`. Configured by `DATABASE_URL`, `VITALS_BIND` and
//! `VITALS_AGGREGATES_FILE` (plus the optional variables of `vitals`).
use std::process::ExitCode;
use vitals_kernel::{Config, run_service};

#[tokio::main]
async fn main() -> ExitCode {
    run_service("vitals-collector", Config::from_env().and_then(check)).await
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
