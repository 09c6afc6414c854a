//! The project's own test helpers: an HTTP client, child processes, a throwaway PostgreSQL, Redis, Pushgateway, nginx and HAProxy, sample
//! readers over a Prometheus registry, and the judges (a real headless Chromium among them:
//! [`browser::load`]). Dev-only; module authors use the public
//! `vitals-testkit`, whose fakes are re-exported here for the project's tests.
mod aggregates;
pub mod browser;
mod dnsmasq;
mod http;
mod judges;
mod load;
mod mariadb;
mod moto;
mod nats;
mod postgres;
mod process;
mod proxy;
mod pushgateway;
mod rabbitmq;
mod redis;
mod samples;
mod tls;

pub use aggregates::{aggregate_calls, aggregates_file, jobs_table, psql};
pub use browser::{BrowserOptions, ConsoleEntry, PageLoad};
pub use dnsmasq::TempDnsmasq;
pub use http::{Response, get, get_with, raw_request};
pub use judges::{ParsedSample, PrometheusServer, parsed_value, promtool_check, python_parse};
pub use judges::{assert_promtool_clean, run_judge};
pub use load::{Conn, Head};
pub use mariadb::{MARIADB_PASSWORD, MARIADB_USER, TempMariadb};
pub use moto::TempMoto;
pub use nats::{NATS_MAX_PAYLOAD, TempNats};
pub use postgres::TempPostgres;
pub use process::{
    ChildGuard, free_addr, postgres_url, sqlite_url, start_service, wait_for_port, wait_until_ok,
    wait_until_up,
};
pub use proxy::{PROXY_SOURCE, TempProxy, Writes, get_from};
pub use pushgateway::TempPushgateway;
pub use rabbitmq::{RABBITMQ_PASSWORD, RABBITMQ_USER, TempRabbitmq};
pub use redis::{TempRedis, redis_server};
pub use samples::{histogram_sum, sample, series_count};
pub use tls::{TempPki, tls_server};
pub use vitals_testkit::{Counting, Registrar, failing, panicking, sleeping};
