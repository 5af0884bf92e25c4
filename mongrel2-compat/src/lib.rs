//! The Mongrel2 handler protocol, as Mongrel2 1.12 speaks it, sans-IO.
//!
//! Everything in Scale0 speaks this protocol: the gateway emits requests, the
//! broker carries them, handlers and workers parse them. The modules, from the
//! bottom up:
//!
//! - [`tnetstring`]: our own zero-copy tnetstring codec (every type, capped).
//! - [`json`]: the JSON dialect of Mongrel2's header objects (it escapes only
//!   `"` and `\` and passes other bytes raw).
//! - [`request`]: request messages `SENDER ID PATH HEADERS BODY`, decoded and
//!   encoded byte for byte, plus the [`request::Builder`] that lays out a
//!   request exactly as Mongrel2 does, and the notices (disconnect, credits).
//! - [`reply`]: reply messages `UUID LEN:ids, BODY` with Mongrel2's strict
//!   grammar, and the `X` extended replies (`ctl` keep-alive, credits, cancel).
//! - [`message`]: what a handler receives, typed (HTTP request, disconnect,
//!   credits, upload start/done/stream, WebSocket handshake and frames, JSON
//!   and XML socket messages).
//! - [`websocket`]: RFC 6455 helpers (accept key, FLAGS, frame codec).
//! - `handler` (feature `handler`): a blocking ZeroMQ handler API, like
//!   Mongrel2's Python `handler.py`.
//!
//! Data flows as bytes in, borrowed values out: decoders never copy what they
//! can borrow, check every declared length against a named cap before
//! allocating, and return typed errors instead of panicking.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod json;
pub mod message;
pub mod reply;
pub mod request;
pub mod tnetstring;
pub mod websocket;

#[cfg(feature = "handler")]
pub mod handler;
