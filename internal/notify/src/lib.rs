//! Notifications of status changes (webhooks).
#![warn(missing_docs)]
