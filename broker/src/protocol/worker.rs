//! The worker protocol (S0W/1 and its packed form S0W/2): the [`Command`] enum and its codec.
//!
//! An S0W/1 message is `[empty delimiter] ["S0W1"] [command byte] [field]...`; an S0W/2 message is
//! `[empty delimiter] ["S0W2" command-byte request-id?] [field]...` (the request id, when the command has
//! one, rides in the head frame, and REQUEST drops the sender frame, which is the payload's first word).
//! The broker's ROUTER adds or strips the routing-identity frame in front. See `docs/worker-protocol.md`
//! for the normative text.

use bytes::Bytes;

use super::field::{decimal_frame, envelope, Ids};
use super::{ServiceName, Version, WORKER_PROTOCOL, WORKER_PROTOCOL_2};
#[cfg(doc)]
use super::{
    HEARTBEAT_INTERVAL_MS, LIVENESS, MAX_CAPACITY, MAX_REASON_LEN, MAX_SERVICES_PER_READY,
};

mod decode;

pub use decode::{claimed_version, decode, decode_versioned};

const READY: u8 = 0x01;
const REQUEST: u8 = 0x02;
const REPLY: u8 = 0x03;
const DONE: u8 = 0x04;
const HEARTBEAT: u8 = 0x05;
const DISCONNECT: u8 = 0x06;
const RECONNECT_TO: u8 = 0x07;
const CANCEL: u8 = 0x08;
const DRAIN: u8 = 0x09;
const REPLY_DONE: u8 = 0x0a;

/// The broker's handle for one dispatched request: 8 opaque bytes on the wire that the worker echoes in
/// DONE. The broker packs its table index and a generation into it, so a stale DONE can never free the
/// slot of a newer request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

/// Heartbeat timing the broker announces in its HEARTBEAT, so workers adopt the broker's configuration
/// instead of each being configured to match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatTiming {
    /// Milliseconds between heartbeats, within [`HEARTBEAT_INTERVAL_MS`].
    pub interval_ms: u32,
    /// Intervals of silence after which the peer is dead, within [`LIVENESS`].
    pub liveness: u32,
}

/// One worker-protocol message (the same commands in both versions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Worker → broker: "I serve these services, with this many concurrent requests". Sent after connecting
    /// (and again after a DISCONNECT from the broker); it registers the worker with all slots free.
    Ready {
        /// Services served, 1..=[`MAX_SERVICES_PER_READY`], no duplicates.
        services: Vec<ServiceName>,
        /// Concurrent requests accepted, 1..=[`MAX_CAPACITY`].
        capacity: u32,
    },
    /// Broker → worker: one request to serve.
    Request {
        /// Handle to echo in DONE.
        request: RequestId,
        /// Sender id of the gateway the request came from (also the first field of `payload`).
        sender: Bytes,
        /// Exactly a Mongrel2 request message.
        payload: Bytes,
    },
    /// Worker → broker: one Mongrel2 reply message (`UUID SP LEN:ids, SP BODY`), routed by its UUID.
    Reply {
        /// The reply message, byte for byte.
        reply: Bytes,
    },
    /// Worker → broker: the request is finished; its slot is free again.
    Done {
        /// The id from the REQUEST.
        request: RequestId,
    },
    /// Worker → broker (S0W/1.1): REPLY then DONE in one message, for the common "one reply and finished"
    /// request, so the broker receives and handles one message instead of two. Means exactly a REPLY
    /// followed by a DONE.
    ReplyDone {
        /// The id from the REQUEST.
        request: RequestId,
        /// The last reply message, byte for byte.
        reply: Bytes,
    },
    /// Both ways: "I am alive". The broker's carries its timing; the worker's carries none.
    Heartbeat {
        /// Timing the broker expects, absent from workers.
        timing: Option<HeartbeatTiming>,
    },
    /// Both ways: the sender forgets the peer; a worker receiving it re-sends READY.
    Disconnect {
        /// Why, for logs (at most [`MAX_REASON_LEN`] bytes of text).
        reason: Option<String>,
    },
    /// Broker → worker: finish in-flight requests, then move to another broker endpoint.
    ReconnectTo {
        /// ZeroMQ endpoint to connect to.
        endpoint: String,
    },
    /// Worker → broker: send me no new requests (graceful shutdown: DRAIN, finish, DONE each, then
    /// DISCONNECT, so nothing in flight is lost).
    Drain,
    /// Broker → worker: the request's client went away or timed out; stop work, still send DONE.
    Cancel {
        /// The id from the REQUEST.
        request: RequestId,
        /// The Mongrel2 disconnect notice for the request's connection id.
        notice: Bytes,
    },
}

/// Who may send a command; a peer sending the other side's command is treated as speaking an unknown one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Only workers send it.
    ToBroker,
    /// Only the broker sends it.
    ToWorker,
    /// Either side.
    Both,
}

impl Command {
    /// Which side may send this command.
    pub fn direction(&self) -> Direction {
        match self {
            Command::Ready { .. }
            | Command::Reply { .. }
            | Command::Done { .. }
            | Command::ReplyDone { .. }
            | Command::Drain => Direction::ToBroker,
            Command::Request { .. } | Command::ReconnectTo { .. } | Command::Cancel { .. } => {
                Direction::ToWorker
            }
            Command::Heartbeat { .. } | Command::Disconnect { .. } => Direction::Both,
        }
    }

    /// The command's name in the spec, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Ready { .. } => "READY",
            Command::Request { .. } => "REQUEST",
            Command::Reply { .. } => "REPLY",
            Command::Done { .. } => "DONE",
            Command::ReplyDone { .. } => "REPLY-DONE",
            Command::Heartbeat { .. } => "HEARTBEAT",
            Command::Disconnect { .. } => "DISCONNECT",
            Command::ReconnectTo { .. } => "RECONNECT-TO",
            Command::Cancel { .. } => "CANCEL",
            Command::Drain => "DRAIN",
        }
    }
}

/// The worker protocol's ids.
pub(super) const IDS: Ids = Ids {
    v1: WORKER_PROTOCOL,
    v2: WORKER_PROTOCOL_2,
    names: "S0W1 or S0W2",
};

/// Encodes a command into its S0W/1 frames (delimiter first; the routing identity is the I/O layer's
/// business).
pub fn encode(command: &Command) -> Vec<Bytes> {
    encode_version(command, Version::V1)
}

/// Encodes a command in the given version.
pub fn encode_version(command: &Command, version: Version) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(6);
    encode_into(command, version, &mut out);
    out
}

/// Like [`encode_version`], appending to `out` so the I/O loop can reuse one frame buffer. Payloads are
/// shared (`Bytes` clones), never copied.
pub fn encode_into(command: &Command, version: Version, out: &mut Vec<Bytes>) {
    let head =
        |code, fields: &[u8], out: &mut Vec<Bytes>| envelope(&IDS, version, code, fields, out);
    match command {
        Command::Ready { services, capacity } => {
            head(READY, &[], out);
            out.push(decimal_frame(u64::from(*capacity)));
            out.extend(
                services
                    .iter()
                    .map(|s| Bytes::copy_from_slice(s.as_str().as_bytes())),
            );
        }
        Command::Request {
            request,
            sender,
            payload,
        } => {
            head(REQUEST, &request.0.to_be_bytes(), out);
            if version == Version::V1 {
                out.push(sender.clone());
            }
            out.push(payload.clone());
        }
        Command::Reply { reply } => {
            head(REPLY, &[], out);
            out.push(reply.clone());
        }
        Command::Done { request } => head(DONE, &request.0.to_be_bytes(), out),
        Command::ReplyDone { request, reply } => {
            head(REPLY_DONE, &request.0.to_be_bytes(), out);
            out.push(reply.clone());
        }
        Command::Heartbeat { timing } => {
            head(HEARTBEAT, &[], out);
            if let Some(t) = timing {
                out.push(decimal_frame(u64::from(t.interval_ms)));
                out.push(decimal_frame(u64::from(t.liveness)));
            }
        }
        Command::Disconnect { reason } => {
            head(DISCONNECT, &[], out);
            out.extend(reason.iter().map(|r| Bytes::copy_from_slice(r.as_bytes())));
        }
        Command::ReconnectTo { endpoint } => {
            head(RECONNECT_TO, &[], out);
            out.push(Bytes::copy_from_slice(endpoint.as_bytes()));
        }
        Command::Cancel { request, notice } => {
            head(CANCEL, &request.0.to_be_bytes(), out);
            out.push(notice.clone());
        }
        Command::Drain => head(DRAIN, &[], out),
    }
}

#[cfg(test)]
mod tests;
