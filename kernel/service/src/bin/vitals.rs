//! The Vitals reference service: the kernel with the database module, configured from the
//! environment.
use std::process::ExitCode;
use vitals_module_database::{DatabaseConfig, DatabaseModule};
use vitals_service::{Failure, ModuleBox, run};

#[tokio::main]
async fn main() -> ExitCode {
    run("vitals", |config| async move {
        let db = DatabaseModule::connect(DatabaseConfig::from_env()?).await?;
        Ok::<_, Failure>((config, vec![Box::new(db) as Box<dyn ModuleBox>]))
    })
    .await
}
