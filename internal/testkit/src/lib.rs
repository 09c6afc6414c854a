//! Test helpers shared by the workspace's tests: fake checkers, an HTTP client, child processes.
//! Dev-only; nothing here ships.
mod fakes;
mod http;
mod judges;
mod postgres;
mod process;
mod samples;

pub use fakes::{Counting, Registrar, failing, panicking, sleeping};
pub use http::{Response, get, get_with};
pub use judges::assert_promtool_clean;
pub use judges::{ParsedSample, PrometheusServer, parsed_value, promtool_check, python_parse};
pub use postgres::TempPostgres;
pub use process::{ChildGuard, free_addr, postgres_url, wait_until_ok, wait_until_up};
pub use samples::{histogram_sum, sample, series_count};
