//! The Vitals kernel: wires the health registry, metrics and modules through a shaku container
//! and serves them over actix-web. Entry point [`Kernel::builder`]; env configuration in [`Config`].
#![warn(missing_docs)]
mod builder;
mod config;
mod container;
mod embed;
mod error;
mod grpc;
mod logging;
#[cfg(feature = "notify")]
mod notify;
mod ping;
mod serve;
mod shutdown;

pub use builder::KernelBuilder;
pub use config::{
    AccessSettings, Config, HealthSettings, LogFormat, ShutdownSettings, StatusSettings,
};
pub use container::{DirectoryService, HealthService, KernelContainer, MetricsService, ModuleSet};
pub use embed::Embedded;
pub use error::Error;
pub use logging::init_logging;
pub use serve::{Kernel, Running};
#[cfg(feature = "grpc")]
pub use vitals_grpc::{GrpcHealth, GrpcMetrics, HealthServer};
pub use vitals_http::{DetailPolicy, ForwardedHeader, timed_resource};

/// The README's snippets, compiled and run as doc tests so the module-author guide stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeSnippets;
