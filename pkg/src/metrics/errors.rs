/// The bounded set of error types counted in `vitals_errors_total{type}`.
///
/// ```
/// let metrics = vitals::Metrics::noop();
/// metrics.record_error(vitals::metrics::ErrorKind::Db);
/// assert_eq!(vitals::metrics::ErrorKind::Db.as_str(), "db");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A response with a 5xx status.
    Http5xx,
    /// A handler (or a middleware) failed with a server error: a 5xx that came with an error
    /// value, or a panic.
    HandlerError,
    /// A request refused as the client's fault (an extractor rejecting a bad path, query or body:
    /// a 4xx that came with an error value).
    ClientError,
    /// A handler or check panicked.
    Panic,
    /// A health check or collector timed out.
    Timeout,
    /// A database query failed.
    Db,
    /// A metric collector or sampler failed.
    Collector,
}

impl ErrorKind {
    /// Every kind, in label order.
    pub const ALL: [ErrorKind; 7] = [
        Self::Http5xx,
        Self::HandlerError,
        Self::ClientError,
        Self::Panic,
        Self::Timeout,
        Self::Db,
        Self::Collector,
    ];

    /// The `type` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http5xx => "http_5xx",
            Self::HandlerError => "handler_error",
            Self::ClientError => "client_error",
            Self::Panic => "panic",
            Self::Timeout => "timeout",
            Self::Db => "db",
            Self::Collector => "collector",
        }
    }
}
