//! Test helpers shared by the workspace's tests: fake checkers and a small HTTP client.
//! Dev-only; nothing here ships.
mod fakes;
mod http;

pub use fakes::{Counting, failing, panicking, sleeping};
pub use http::{Response, get, get_with};
