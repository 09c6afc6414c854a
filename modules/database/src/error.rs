/// Errors of the database module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL cannot be parsed, or its scheme is not one this build supports.
    #[error("invalid database URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL, with any password masked (withheld whole when it cannot be parsed).
        url: String,
        /// What is wrong, naming the accepted schemes.
        reason: String,
    },
    /// A setting has a value that cannot be used.
    #[error(transparent)]
    Config(#[from] vitals::settings::SettingError),
    /// The aggregates file cannot be read or has a bad entry.
    #[error("invalid aggregates file {path:?}: {reason}")]
    AggregatesFile {
        /// The file.
        path: String,
        /// What is wrong, naming the entry.
        reason: String,
    },
    /// A SQL aggregate declaration cannot be used.
    #[error("invalid SQL aggregate {name:?}: {reason}")]
    InvalidAggregate {
        /// The aggregate's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Connecting failed.
    #[error("cannot connect to database {url:?}: {source}")]
    Connect {
        /// The URL, with any password masked.
        url: String,
        /// sea-orm's error.
        source: sea_orm::DbErr,
    },
}
