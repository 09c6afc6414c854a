//! The hook on finished check runs: the registry tells every observer about every run, after
//! the reading is stored. The check metrics are one observer; check history is another.
use crate::Reading;

/// Receives every finished check run, e.g. to record its duration or keep a history.
///
/// Called on the task that ran the check, once per run: keep it quick and never block.
pub trait RunObserver: Send + Sync {
    /// Called once per run, after the reading is stored.
    fn on_run(&self, check: &str, reading: &Reading);
}
