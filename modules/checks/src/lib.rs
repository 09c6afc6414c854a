//! Ready-made health checkers: the dependencies services have, each in its own file behind its
//! own cargo feature, so an app compiles only the checks it uses.
//!
//! | checker | feature | file |
//! |---|---|---|
//! | `redis` (`redis(url)`) | `redis` | `redis.rs` |
//! | `tcp` (`tcp("host:port")`) | — | `tcp.rs` |
//! | `disk` (`disk(path)`) | `disk` | `disk.rs` |
//! | `memory` (`memory()`) | — | `memory.rs` |
//! | `http` (`http(url)`) | `http` | `http.rs` |
//! | another Vitals service (`vitals_service(base)`) | `vitals` | `vitals_service.rs` |
//! | a TLS certificate (`tls("host:port")`, `tls_file(path)`) | `tls` | `tls.rs` |
//! | NATS (`nats(url)`) | `nats` | `nats.rs` |
//! | RabbitMQ (`rabbitmq(url)`) | `rabbitmq` | `rabbitmq.rs` |
//! | PostgreSQL, MySQL/MariaDB (`sql(url)`) | `sql` | `sql.rs` |
//! | a DNS name (`dns(name)`) | `dns` | `dns.rs` |
//!
//! With the `file` feature, `ChecksModule` registers the `[[check]]` entries of
//! `VITALS_CHECKS_FILE` (`file/`; see `docs/checks.md`).
//!
//! Every checker names its dependency in its reason (credentials masked), bounds every wait by
//! its own timeout, and is configured with the facade's [`vitals::CheckerExt`]
//! (`checks::redis(url)?.non_critical()`).
#![warn(missing_docs)]

mod memory;
mod target;
mod tcp;

#[cfg(feature = "disk")]
mod disk;
#[cfg(feature = "dns")]
mod dns;
#[cfg(feature = "file")]
mod file;
#[cfg(feature = "http")]
mod http;
#[cfg(feature = "file")]
mod module;

#[cfg(feature = "nats")]
mod nats;
#[cfg(feature = "rabbitmq")]
mod rabbitmq;
#[cfg(feature = "redis")]
mod redis;
#[cfg(any(
    feature = "http",
    feature = "vitals",
    feature = "nats",
    feature = "rabbitmq"
))]
mod scrub;
#[cfg(feature = "sql")]
mod sql;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "vitals")]
mod vitals_service;

pub use memory::{MemoryCheck, memory};
#[cfg(feature = "nats")]
pub use nats::{NatsCheck, nats};
#[cfg(feature = "rabbitmq")]
pub use rabbitmq::{RabbitmqCheck, rabbitmq};
#[cfg(feature = "redis")]
pub use redis::{RedisCheck, redis};
#[cfg(feature = "sql")]
pub use sql::{SqlCheck, sql};
pub use target::masked;
pub use tcp::{TcpCheck, tcp};
#[cfg(feature = "tls")]
pub use tls::{TlsCheck, tls, tls_file};
#[cfg(feature = "vitals")]
pub use vitals_service::{VitalsServiceCheck, vitals_service};

#[cfg(feature = "disk")]
pub use disk::{DiskCheck, disk};
#[cfg(feature = "dns")]
pub use dns::{DnsCheck, dns};
#[cfg(feature = "file")]
pub use file::{KINDS, load as load_checks, parse as parse_checks};
#[cfg(feature = "http")]
pub use http::{HttpCheck, http};
#[cfg(feature = "file")]
pub use module::ChecksModule;
