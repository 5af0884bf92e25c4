//! The two wire protocols the broker speaks over ZeroMQ, as sans-IO codecs.
//!
//! * **S0W/1** (worker ↔ broker, [`Command`], [`encode`], [`decode`]): a worker's DEALER connects to the
//!   broker's ROUTER, announces its services and capacity with READY, receives REQUESTs whose payload is
//!   exactly a Mongrel2 request message, answers with Mongrel2 replies, and gives each slot back with DONE.
//! * **S0G/1** (gateway ↔ broker, [`gateway`]): a gateway submits requests for a service and gets the
//!   Mongrel2 replies of the workers, or a FAIL with an HTTP status, back.
//!
//! The normative description, with frame diagrams and a worked example, is `docs/worker-protocol.md`.
//! Both codecs work on the frames that follow the ROUTER's routing-identity frame: an empty delimiter frame,
//! the protocol id, a one-byte command, then the command's fields, one per frame. Every field is checked
//! against a named cap below before it is kept; hostile frames give an [`Error`], never a panic.

mod error;
mod field;
pub mod gateway;
mod worker;

pub use error::Error;
pub use field::{validate_endpoint, validate_sender_id, ServiceName};
pub use worker::{decode, encode, encode_into, Command, Direction, HeartbeatTiming, RequestId};

/// Protocol id frame of the worker protocol; a new major version gets a new id, so peers can refuse it.
pub const WORKER_PROTOCOL: &[u8] = b"S0W1";

/// Protocol id frame of the gateway protocol.
pub const GATEWAY_PROTOCOL: &[u8] = b"S0G1";

/// Longest service name in bytes: names come from configs and READY; the cap bounds the service table's keys.
pub const MAX_SERVICE_NAME_LEN: usize = 128;

/// Most services one READY may name: each costs the worker's capacity in ready-queue entries.
pub const MAX_SERVICES_PER_READY: usize = 32;

/// Largest capacity (concurrent requests) a worker may announce: each slot costs memory per service.
pub const MAX_CAPACITY: u32 = 1024;

/// Longest gateway sender id (the Mongrel2 UUID field) in bytes.
pub const MAX_SENDER_ID_LEN: usize = 128;

/// Longest endpoint in RECONNECT-TO (`tcp://host:port`, `ipc:///path`).
pub const MAX_ENDPOINT_LEN: usize = 256;

/// Longest DISCONNECT reason in bytes: it is only logged.
pub const MAX_REASON_LEN: usize = 256;

/// Most decimal digits accepted in any numeric field, checked before parsing (u64 never overflows on 19).
pub const MAX_DECIMAL_DIGITS: usize = 19;

/// Heartbeat interval bounds in milliseconds, as carried by the broker's HEARTBEAT.
pub const HEARTBEAT_INTERVAL_MS: std::ops::RangeInclusive<u64> = 10..=600_000;

/// Liveness bounds (heartbeat intervals of silence before a peer is declared dead).
pub const LIVENESS: std::ops::RangeInclusive<u64> = 1..=100;

/// Largest deadline a SUBMIT may carry, and largest Retry-After a FAIL may carry, in milliseconds (1 h).
pub const MAX_DURATION_MS: u64 = 3_600_000;

/// Length of a request id frame (broker-assigned in S0W/1, gateway-assigned in S0G/1): 8 opaque bytes.
pub const REQUEST_ID_LEN: usize = 8;
