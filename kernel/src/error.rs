use std::net::SocketAddr;

/// Errors building or running a kernel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting has a value that cannot be used (names the variable and the value).
    #[error(transparent)]
    Config(#[from] vitals::settings::SettingError),
    /// A module, checker or metric was refused at registration.
    #[error(transparent)]
    Registration(#[from] vitals::Error),
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Background work (module start hooks, samplers, background checks) was started twice.
    #[error("background work already started: it runs once per kernel")]
    AlreadyStarted,
    /// The server stopped with an I/O error.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

impl Error {
    /// The exit code a process should end with on this error, as the reference binaries do:
    /// 64 (`EX_USAGE`) for a setting that cannot be used, 1 for anything else.
    ///
    /// ```
    /// let bad = vitals::settings::SettingError::new("VITALS_BIND", "nowhere", "not an address");
    /// let e = vitals_kernel::Error::from(bad);
    /// assert_eq!(e.exit_code(), 64);
    /// assert_eq!(e.to_string(), "invalid VITALS_BIND \"nowhere\": not an address");
    /// assert_eq!(vitals_kernel::Error::AlreadyStarted.exit_code(), 1);
    /// ```
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) => 64,
            _ => 1,
        }
    }
}
