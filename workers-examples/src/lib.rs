//! Example Mongrel2 handlers and Scale0 workers.
//!
//! - [`hello`]: a handler that answers every HTTP request with a short page
//!   describing the request (method, path, conn id, headers), echoes request
//!   bodies, and closes connections the way Mongrel2 handlers must (HTTP/1.0,
//!   `Connection: close`). `scale0 up` runs it built in; the binary
//!   `hello-handler` runs it against any Mongrel2 or Scale0 gateway.
//! - [`hello_worker`]: the same page (and an echo) as a native Scale0 worker
//!   (`scale0_broker::worker`), run by the binary `hello-worker`.
//! - [`concurrent`]: a worker's jobs as tokio tasks, N at once for capacity N;
//!   the binary `async-worker` serves [`concurrent::nap`] with it.
//! - [`signals`]: SIGTERM drains, a second signal exits.
//! - `python/worker.py`: the S0W/1 protocol by hand, in Python with pyzmq.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod concurrent;
pub mod hello;
pub mod hello_worker;
pub mod signals;
