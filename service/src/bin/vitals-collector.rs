//! The standalone collector: one replica that serves what its modules export — today the DB
//! aggregate gauges and, when `VITALS_SIGNALS_REDIS_URL` is set, the cluster-wide signals
//! (`GET /metrics`, the probes) — so that app replicas can run with
//! `VITALS_AGGREGATES=off`. No request metrics, no `ping` check, no query timing. Configured by
//! `DATABASE_URL`, `VITALS_BIND` and `VITALS_AGGREGATES_FILE` (plus the optional variables of
//! `vitals`).
use std::process::ExitCode;
use vitals::settings::SettingError;
use vitals_module_database::{DatabaseConfig, DatabaseModule};
use vitals_service::{Failure, ModuleBox, run, signals_from_env};

#[tokio::main]
async fn main() -> ExitCode {
    run("vitals-collector", |config| async move {
        let mut db = DatabaseConfig::from_env()?;
        if !db.aggregates.enabled {
            return Err(SettingError::new(
                "VITALS_AGGREGATES",
                "off",
                "the collector exists to serve aggregates; leave it unset here",
            )
            .into());
        }
        if db.aggregates.file.is_none() {
            return Err(SettingError::new(
                "VITALS_AGGREGATES_FILE",
                "",
                "the collector needs a file of [[aggregate]] entries",
            )
            .into());
        }
        db.aggregates_only = true;
        let db = DatabaseModule::connect(db).await?;
        let config = vitals_kernel::Config {
            request_metrics: false,
            ping: false,
            ..config
        };
        let mut modules = vec![Box::new(db) as Box<dyn ModuleBox>];
        modules.push(signals_from_env(true)?);
        modules.push(Box::new(vitals_module_checks::ChecksModule::from_env()?));
        Ok::<_, Failure>((config, modules))
    })
    .await
}
