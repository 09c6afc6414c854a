//! Who is asking: bearer tokens, trusted networks, and the client address behind the configured
//! proxies and the one header they write. Entry point [`AccessPolicy`]; headers in `forwarded.rs`.
mod forwarded;
mod networks;
mod policy;

pub use forwarded::ForwardedHeader;
pub use networks::parse_networks;
pub use policy::{AccessPolicy, Caller, DetailPolicy, Refusal};

#[cfg(test)]
mod tests;
