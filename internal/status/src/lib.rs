//! What a status page shows: each check's recent readings and transitions, kept in memory by an
//! observer of check runs ([`CheckHistory`]); the JSON document a service serves and the fleet
//! view polls ([`StatusDocument`], [`FleetDocument`]); and the HTML page rendered from them
//! (`page/`), framework-neutral and self-contained (no script, inline CSS under a hash in the
//! `Content-Security-Policy`).
#![warn(missing_docs)]
mod document;
mod fleet;
mod history;
pub mod page;

pub use document::{
    CheckDocument, GroupDocument, ReadingDocument, ServiceInfo, StatusDocument, TransitionDocument,
    Word, unix_ms,
};
pub use fleet::{FleetDocument, Incident, TargetDocument, Uptime};
pub use history::{CheckHistory, HistoryConfig, MAX_REASON_BYTES};
