use std::net::SocketAddr;

/// Errors building or running a kernel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration variable has a value that cannot be used.
    #[error("invalid {var} {value:?}: {reason}")]
    Config {
        /// The variable's name, e.g. `VITALS_BIND`.
        var: &'static str,
        /// The value found.
        value: String,
        /// Why it is refused.
        reason: String,
    },
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
