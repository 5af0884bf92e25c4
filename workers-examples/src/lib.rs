//! Example Mongrel2 handlers and Scale0 workers.
//!
//! - [`hello`]: a handler that answers every HTTP request with a short page
//!   describing the request (method, path, conn id, headers), echoes request
//!   bodies, and closes connections the way Mongrel2 handlers must (HTTP/1.0,
//!   `Connection: close`). `scale0 up` runs it built in; the binary
//!   `hello-handler` runs it against any Mongrel2 or Scale0 gateway.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod hello;
