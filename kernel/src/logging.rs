use crate::{Error, LogFormat};
use tracing_subscriber::EnvFilter;

/// Installs the global `tracing` subscriber: filter from `RUST_LOG` (default `info`), text or JSON.
///
/// # Errors
/// [`Error::Config`] when `RUST_LOG` cannot be parsed.
pub fn init_logging(format: LogFormat) -> Result<(), Error> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::try_new(&v).map_err(|e| {
            Error::Config(vitals::settings::SettingError::new(
                "RUST_LOG",
                &v,
                e.to_string(),
            ))
        })?,
        _ => EnvFilter::new("info"),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second call (tests, embedding apps with their own subscriber) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    Ok(())
}
