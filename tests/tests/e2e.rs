//! Scale0's end-to-end tests: one binary, one module per story. They start
//! real processes and sockets on loopback (Mongrel2, pyzmq handlers, nginx,
//! the gateway) through the harness in `scale0_tests`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail by panicking"
)]

mod e2e {
    pub mod broker;
    pub mod control_port;
    pub mod debian_examples;
    pub mod differential;
    pub mod failures;
    pub mod flow;
    pub mod handler_on_mongrel2;
    pub mod import;
    pub mod nginx_front;
    pub mod proxy;
    pub mod python_handler;
    pub mod smoke;
    pub mod static_files;
    pub mod up;
    pub mod uploads;
    pub mod websocket;
}
