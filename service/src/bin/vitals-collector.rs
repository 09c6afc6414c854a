//! The standalone collector: one replica that serves what its modules export — the DB aggregate
//! gauges when `VITALS_AGGREGATES_FILE` is set, the fleet view (the pages under the status path
//! and the `vitals_fleet_*` metrics of the services it polls) when `VITALS_STATUS_TARGETS` is
//! set, and, when `VITALS_SIGNALS_REDIS_URL` is set, the cluster-wide signals (`GET /metrics`,
//! the probes) — so that app replicas can run with `VITALS_AGGREGATES=off`. No request metrics,
//! no `ping` check, no query timing. At least one of the aggregates file and the targets is
//! required. Configured by `DATABASE_URL`, `VITALS_BIND`, `VITALS_AGGREGATES_FILE`,
//! `VITALS_STATUS_*` (plus the optional variables of `vitals`).
use std::process::ExitCode;
use vitals::settings::SettingError;
use vitals_module_database::{DatabaseConfig, DatabaseModule};
use vitals_module_fleet::{FleetConfig, FleetModule};
use vitals_service::{Failure, ModuleBox, run, signals_from_env};

#[tokio::main]
async fn main() -> ExitCode {
    run("vitals-collector", |config| async move {
        let mut db = DatabaseConfig::from_env()?;
        let fleet = FleetConfig::from_env()?;
        let aggregates = db.aggregates.enabled && db.aggregates.file.is_some();
        if fleet.is_none() && !db.aggregates.enabled {
            return Err(SettingError::new(
                "VITALS_AGGREGATES",
                "off",
                "the collector serves aggregates or the fleet view (VITALS_STATUS_TARGETS); leave it unset here",
            )
            .into());
        }
        if fleet.is_none() && !aggregates {
            return Err(SettingError::new(
                "VITALS_AGGREGATES_FILE",
                "",
                "the collector needs a file of [[aggregate]] entries, targets of the fleet view in VITALS_STATUS_TARGETS, or both",
            )
            .into());
        }
        let config = vitals_kernel::Config {
            request_metrics: false,
            ping: false,
            ..config
        };
        let mut modules: Vec<Box<dyn ModuleBox>> = Vec::new();
        if aggregates {
            db.aggregates_only = true;
            modules.push(Box::new(DatabaseModule::connect(db).await?));
        }
        if let Some(fleet) = fleet {
            let fleet = FleetModule::connect(fleet)
                .await
                .map_err(|e| Failure::Config(format!("invalid DATABASE_URL: {e}")))?;
            modules.push(Box::new(fleet));
        }
        modules.push(signals_from_env(true)?);
        modules.push(Box::new(vitals_module_checks::ChecksModule::from_env()?));
        Ok::<_, Failure>((config, modules))
    })
    .await
}
