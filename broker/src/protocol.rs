//! The two wire protocols the broker speaks over ZeroMQ, as sans-IO codecs.
//!
//! * **S0W** (worker ↔ broker, [`Command`], [`encode_version`], [`decode_versioned`]): a worker's DEALER
//!   connects to the broker's ROUTER, announces its services and capacity with READY, receives REQUESTs
//!   whose payload is exactly a Mongrel2 request message, answers with Mongrel2 replies, and gives each
//!   slot back with DONE.
//! * **S0G** (gateway ↔ broker, [`gateway`]): a gateway submits requests for a service and gets the
//!   Mongrel2 replies of the workers, or a FAIL with an HTTP status, back.
//!
//! The normative description, with frame diagrams and a worked example, is `docs/worker-protocol.md`.
//! Both codecs work on the frames that follow the ROUTER's routing-identity frame: an empty delimiter
//! frame, then in version 1 the protocol id, a one-byte command and the command's fields, one per frame;
//! in version 2 ([`Version`]) one head frame holding the protocol id, the command byte and the fixed-size
//! fields, then the variable ones. Every field is checked against a named cap below before it is kept;
//! hostile frames give an [`Error`], never a panic.

mod error;
mod field;
pub mod gateway;
#[cfg(test)]
mod golden;
mod worker;

pub use error::Error;
pub use field::{validate_endpoint, validate_sender_id, ServiceName};
pub use worker::{
    claimed_version, decode, decode_versioned, encode, encode_into, encode_version, Command,
    Direction, HeartbeatTiming, RequestId,
};

/// Protocol id frame of the worker protocol; a new major version gets a new id, so peers can refuse it.
pub const WORKER_PROTOCOL: &[u8] = b"S0W1";

/// Protocol id of S0W/2, the packed form: it starts the head frame, followed by the command byte and the
/// request id of the commands that carry one (`docs/worker-protocol.md` §2.1).
pub const WORKER_PROTOCOL_2: &[u8] = b"S0W2";

/// Protocol id frame of the gateway protocol.
pub const GATEWAY_PROTOCOL: &[u8] = b"S0G1";

/// Protocol id of S0G/2, the packed form of the gateway protocol (`docs/worker-protocol.md` §10.1).
pub const GATEWAY_PROTOCOL_2: &[u8] = b"S0G2";

/// The major version a message is framed in. Both carry the same commands; version 2 packs the protocol
/// id, the command byte and the fixed-size fields into one head frame, so a request and its reply cross
/// libzmq in about half the frames. A peer is answered in the version it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Version {
    /// `S0W1` / `S0G1`: protocol id, command byte and every field in frames of their own.
    #[default]
    V1,
    /// `S0W2` / `S0G2`: one head frame (protocol id + command byte + fixed fields), then the variable ones.
    V2,
}

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
