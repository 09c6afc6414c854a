//! The Vitals reference service: the kernel with the database module, configured from the environment.
use std::process::ExitCode;
use vitals_kernel::{Config, run_service};

#[tokio::main]
async fn main() -> ExitCode {
    run_service("vitals", Config::from_env()).await
}
