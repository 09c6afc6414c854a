//! The fleet view of a collector.
#![warn(missing_docs)]
