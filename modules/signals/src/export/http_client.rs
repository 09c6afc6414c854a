//! The one HTTP client setup of the exports and proxy mode: statuses are answers, not errors,
//! redirects are never followed (a credential header stays with the configured origin; a `3xx`
//! is reported with its `Location`), and every call has a deadline.
use std::time::Duration;

pub(crate) fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .build()
        .new_agent()
}
