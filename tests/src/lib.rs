//! Harness for Scale0's end-to-end tests.
//!
//! Starts real peers on loopback and talks to them, so scenarios read like stories:
//! [`mongrel2::Mongrel2`] runs Debian's Mongrel2 1.12 (the reference server),
//! [`gateway::Gateway`] runs Scale0's gateway in-process on real sockets,
//! [`client`] speaks raw HTTP/1.x over TCP (exact bytes in, exact bytes out), and
//! [`wait`] polls for an event with a deadline (tests never sleep to wait).
//! Every server binds 127.0.0.1; ports come from the kernel (port 0).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod client;
pub mod gateway;
pub mod mongrel2;
pub mod nginx;
pub mod ports;
pub mod procs;
pub mod python;
pub mod recorder;
pub mod upstream;
pub mod wait;

/// Root of the repository (the workspace), for fixtures and scripts.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from("."))
}
