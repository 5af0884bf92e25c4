//! Scale0's gateway: a hyper HTTP front that routes requests by host and path
//! to targets and speaks the Mongrel2 handler protocol to them over ZeroMQ.
//!
//! A request goes through one module per phase (ARCHITECTURE.md):
//! [`server`] accepts the connection and gives it a [`conn::Conn`] (its
//! Mongrel2 conn id); [`service`] routes it with [`routing::Router`] (built
//! from a validated [`config::Config`]), admits it (limits), reads its body,
//! and [`translate`]s it into a Mongrel2 request message; [`exchange`] hands
//! the message to the route's target ([`target::handler`], which owns the
//! ZeroMQ sockets through [`zmq_async`]) and turns the raw HTTP the handler
//! writes back ([`http_reply`]) into a streamed [`body::Body`]. Every failure
//! is a [`failure::Failure`], mapped to one response; every request is a line
//! in the [`access_log`].
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod access_log;
pub mod body;
pub mod config;
pub mod conn;
pub mod control_port;
pub mod exchange;
pub mod failure;
pub mod flow;
pub mod http_reply;
pub mod idle;
pub mod import;
pub mod jssocket;
pub mod proxy_protocol;
pub mod quiet;
pub mod registry;
pub mod routing;
pub mod server;
pub mod service;
pub mod target;
pub mod translate;
pub mod up;
pub mod upload;
pub mod websocket;
pub use scale0_broker::zmq_async;
