//! The kernel's metrics: the recorder behind the `vitals::Metrics` facade (one registry per
//! kernel), built-in families, collect-time collectors, sampler loops and text exposition.
#![warn(missing_docs)]
mod builtin;
mod collect_slots;
mod encode;
mod exposition;
mod recorder;
mod sampler_loops;

pub use builtin::{register_builtins, register_service_info};
pub use encode::{TEXT_CONTENT_TYPE, encode_text};
pub use exposition::Exposition;
pub use recorder::{BudgetedVec, PrometheusRecorder, Sampler, SeriesBudget};
pub use sampler_loops::start_samplers;
