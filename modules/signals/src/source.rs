//! Where an aggregate comes from: Redis (every process publishes, any aggregator reads) or
//! proxy mode (each service's status document), behind one `read`.
use crate::aggregate::{Aggregator, Snapshot};
use crate::proxy::Proxy;
use std::sync::Arc;

pub(crate) enum Source {
    Redis(Aggregator),
    Proxy(Arc<Proxy>),
}

impl Source {
    /// The aggregate now.
    ///
    /// # Errors
    /// Redis unreachable, or the services that could not be read, with the reason.
    pub(crate) async fn read(&self) -> Result<Snapshot, String> {
        match self {
            Source::Redis(a) => a.read().await,
            Source::Proxy(p) => p.read().await,
        }
    }
}
