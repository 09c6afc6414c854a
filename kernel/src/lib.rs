//! The Vitals kernel: wires the health registry, metrics and modules through a shaku container
//! and serves them over actix-web. Entry point [`Kernel::builder`]; env configuration in [`Config`].
#![warn(missing_docs)]
mod builder;
mod config;
mod container;
mod embed;
mod error;
mod grpc;
mod kernel;
mod logging;
#[cfg(feature = "notify")]
mod notify;
mod ping;
mod shutdown;

pub use builder::KernelBuilder;
pub use config::{Config, HealthSettings, LogFormat, ShutdownSettings, StatusSettings};
pub use container::{HealthService, KernelContainer, MetricsService, ModuleSet, ServiceRegistry};
pub use embed::Embedded;
pub use error::Error;
pub use kernel::{Kernel, Running};
pub use logging::init_logging;
#[cfg(feature = "grpc")]
pub use vitals_grpc::{GrpcHealth, GrpcMetrics, HealthServer};
pub use vitals_http::{DetailPolicy, ForwardedHeader, timed_resource};

/// The README's snippets, compiled and run as doc tests so the module-author guide stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeSnippets;
