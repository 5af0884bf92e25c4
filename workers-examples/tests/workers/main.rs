//! The example workers against a fake broker (a ROUTER speaking S0W/1 through the broker's codec): the
//! Rust hello worker, concurrent async serving, and the Python worker as a real process.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod broker;
mod concurrent;
mod hello;
mod python;
