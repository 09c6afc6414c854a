//! The Vitals reference service: the kernel with the database module (the signals module when
//! `VITALS_SIGNALS_REDIS_URL` is set, the checks of `VITALS_CHECKS_FILE` when set), configured
//! from the environment.
use std::process::ExitCode;
use vitals_module_database::{DatabaseConfig, DatabaseModule};
use vitals_service::{Failure, ModuleBox, run, signals_from_env};

#[tokio::main]
async fn main() -> ExitCode {
    run("vitals", |config| async move {
        let db = DatabaseModule::connect(DatabaseConfig::from_env()?).await?;
        let mut modules = vec![Box::new(db) as Box<dyn ModuleBox>];
        modules.push(signals_from_env(false)?);
        modules.push(Box::new(vitals_module_checks::ChecksModule::from_env()?));
        Ok::<_, Failure>((config, modules))
    })
    .await
}
