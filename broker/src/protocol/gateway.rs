//! S0G/1 and its packed form S0G/2, the gateway protocol: what a standalone gateway and the broker
//! exchange over DEALER→ROUTER.
//!
//! The gateway's DEALER sets its routing identity to its sender id (the Mongrel2 UUID field), so the broker
//! can route a worker's reply by the reply's UUID with one lookup. The embedded mode skips this codec and
//! feeds the same engine events directly.

use std::time::Duration;

use bytes::Bytes;

use super::field::{
    decimal, decimal_frame, envelope, id, non_empty, open, Ids, Reader, ServiceName,
};
use super::{
    Error, Version, GATEWAY_PROTOCOL, GATEWAY_PROTOCOL_2, MAX_DURATION_MS, REQUEST_ID_LEN,
};

const SUBMIT: u8 = 0x01;
const CANCEL: u8 = 0x02;
const REPLY: u8 = 0x03;
const FAIL: u8 = 0x04;
const HEARTBEAT: u8 = 0x05;
const DISCONNECT: u8 = 0x06;

/// One gateway-protocol message (the same commands in both versions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Gateway → broker: serve this Mongrel2 request message with a worker of `service`.
    Submit {
        /// Gateway-chosen id, unique among the gateway's live requests; FAIL and CANCEL refer to it.
        request: u64,
        /// Target service.
        service: ServiceName,
        /// Time allowed (from arrival at the broker) until the first reply; `None` uses the broker's default.
        deadline: Option<Duration>,
        /// May be re-dispatched to another worker if its worker dies before replying (GET, HEAD, ...).
        idempotent: bool,
        /// The Mongrel2 request message; its sender field must be the gateway's sender id.
        payload: Bytes,
    },
    /// Gateway → broker: the client went away or a gateway-side timeout fired.
    Cancel {
        /// The id from SUBMIT.
        request: u64,
    },
    /// Broker → gateway: one Mongrel2 reply message from a worker.
    Reply {
        /// The reply message, byte for byte.
        reply: Bytes,
    },
    /// Broker → gateway: the request will get no reply; answer the client with `status`.
    Fail {
        /// The id from SUBMIT.
        request: u64,
        /// HTTP status to answer with.
        status: FailStatus,
        /// Value for the Retry-After header (503 only).
        retry_after: Option<Duration>,
        /// Why, for logs and metrics.
        reason: FailReason,
    },
    /// Both ways: "I am alive".
    Heartbeat,
    /// Both ways: the sender is going away; the broker cancels the gateway's requests.
    Disconnect,
}

/// The HTTP status a failed request gets: the three ways a broker can fail a client (DESIGN §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailStatus {
    /// 502: the worker failed (died) after taking the request.
    BadGateway,
    /// 503: no worker could take the request in time (queue full, queue timeout, no worker).
    ServiceUnavailable,
    /// 504: a worker took the request but sent nothing before the deadline.
    GatewayTimeout,
}

impl FailStatus {
    /// The numeric HTTP status.
    pub fn code(self) -> u16 {
        match self {
            FailStatus::BadGateway => 502,
            FailStatus::ServiceUnavailable => 503,
            FailStatus::GatewayTimeout => 504,
        }
    }

    fn from_code(bytes: &[u8]) -> Result<Self, Error> {
        match bytes {
            b"502" => Ok(FailStatus::BadGateway),
            b"503" => Ok(FailStatus::ServiceUnavailable),
            b"504" => Ok(FailStatus::GatewayTimeout),
            other => Err(Error::UnknownValue {
                field: "status",
                value: Error::preview(other, 32),
            }),
        }
    }
}

/// Why a request failed; each reason has one status, so logs, metrics and clients agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailReason {
    /// The service's queue was full on arrival (503).
    QueueFull,
    /// The request waited in the queue until its deadline (503).
    QueueTimeout,
    /// No worker ever served the service before the deadline (503).
    NoWorker,
    /// A broker table (services, gateways, requests) is full (503).
    Overloaded,
    /// The worker died or disconnected and the request could not be retried (502).
    WorkerLost,
    /// The submit was unusable: malformed payload, sender mismatch, invalid service name (502).
    BadSubmit,
    /// The worker sent nothing before the deadline (504).
    ReplyTimeout,
}

const REASONS: [(FailReason, &str); 7] = [
    (FailReason::QueueFull, "queue-full"),
    (FailReason::QueueTimeout, "queue-timeout"),
    (FailReason::NoWorker, "no-worker"),
    (FailReason::Overloaded, "overloaded"),
    (FailReason::WorkerLost, "worker-lost"),
    (FailReason::BadSubmit, "bad-submit"),
    (FailReason::ReplyTimeout, "reply-timeout"),
];

impl FailReason {
    /// The status this reason answers with.
    pub fn status(self) -> FailStatus {
        match self {
            FailReason::QueueFull
            | FailReason::QueueTimeout
            | FailReason::NoWorker
            | FailReason::Overloaded => FailStatus::ServiceUnavailable,
            FailReason::WorkerLost | FailReason::BadSubmit => FailStatus::BadGateway,
            FailReason::ReplyTimeout => FailStatus::GatewayTimeout,
        }
    }

    /// The wire token (also a good metric label).
    pub fn as_str(self) -> &'static str {
        REASONS
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("?", |(_, token)| token)
    }

    fn from_token(bytes: &[u8]) -> Result<Self, Error> {
        REASONS
            .iter()
            .find(|(_, token)| token.as_bytes() == bytes)
            .map(|(reason, _)| *reason)
            .ok_or_else(|| Error::UnknownValue {
                field: "reason",
                value: Error::preview(bytes, 32),
            })
    }
}

/// The gateway protocol's ids.
const IDS: Ids = Ids {
    v1: GATEWAY_PROTOCOL,
    v2: GATEWAY_PROTOCOL_2,
    names: "S0G1 or S0G2",
};

/// Bytes of an S0G/2 SUBMIT head after the command byte, before the service name: request id (8),
/// deadline in ms (4, big-endian, 0 = the broker's default), idempotent (1: 0 or 1).
const SUBMIT_HEAD: usize = 13;

/// Encodes a gateway-protocol command into its S0G/1 frames, delimiter first.
pub fn encode(command: &Command) -> Vec<Bytes> {
    encode_version(command, Version::V1)
}

/// Encodes a gateway-protocol command in the given version.
pub fn encode_version(command: &Command, version: Version) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(8);
    encode_into(command, version, &mut out);
    out
}

/// Like [`encode_version`], appending to a reusable buffer.
pub fn encode_into(command: &Command, version: Version, out: &mut Vec<Bytes>) {
    let head =
        |code, fields: &[u8], out: &mut Vec<Bytes>| envelope(&IDS, version, code, fields, out);
    let ms = |d: &Option<Duration>, min| {
        d.map_or(0, |d| {
            u64::try_from(d.as_millis())
                .unwrap_or(u64::MAX)
                .clamp(min, MAX_DURATION_MS)
        })
    };
    match command {
        Command::Submit {
            request,
            service,
            deadline,
            idempotent,
            payload,
        } => {
            let service = service.as_str().as_bytes();
            if version == Version::V2 {
                let deadline = u32::try_from(ms(deadline, 1)).unwrap_or(u32::MAX);
                let mut fields = Vec::with_capacity(SUBMIT_HEAD + service.len());
                fields.extend_from_slice(&request.to_be_bytes());
                fields.extend_from_slice(&deadline.to_be_bytes());
                fields.push(u8::from(*idempotent));
                fields.extend_from_slice(service);
                head(SUBMIT, &fields, out);
            } else {
                head(SUBMIT, &request.to_be_bytes(), out);
                out.push(Bytes::copy_from_slice(service));
                out.push(decimal_frame(ms(deadline, 1)));
                out.push(Bytes::from_static(if *idempotent { b"1" } else { b"0" }));
            }
            out.push(payload.clone());
        }
        Command::Cancel { request } => head(CANCEL, &request.to_be_bytes(), out),
        Command::Reply { reply } => {
            head(REPLY, &[], out);
            out.push(reply.clone());
        }
        Command::Fail {
            request,
            status,
            retry_after,
            reason,
        } => {
            head(FAIL, &request.to_be_bytes(), out);
            out.push(decimal_frame(u64::from(status.code())));
            out.push(decimal_frame(ms(retry_after, 1)));
            out.push(Bytes::from_static(reason.as_str().as_bytes()));
        }
        Command::Heartbeat => head(HEARTBEAT, &[], out),
        Command::Disconnect => head(DISCONNECT, &[], out),
    }
}

/// Decodes the frames of one gateway-protocol message (delimiter first), in either version.
pub fn decode<F: AsRef<[u8]>>(frames: &[F]) -> Result<Command, Error> {
    decode_versioned(frames).map(|(_, command)| command)
}

/// Like [`decode`], also telling which version the message was framed in.
pub fn decode_versioned<F: AsRef<[u8]>>(frames: &[F]) -> Result<(Version, Command), Error> {
    let (code, fields) = open(frames, &IDS)?;
    let version = fields.version();
    let command = match code {
        SUBMIT if version == Version::V2 => submit_packed(fields.named("SUBMIT")),
        SUBMIT => submit(fields.named("SUBMIT")),
        CANCEL => {
            let mut fields = fields.named("CANCEL");
            let request = id(
                "request id",
                fields.head_field("request id", REQUEST_ID_LEN)?,
            )?;
            fields.finish()?;
            Ok(Command::Cancel { request })
        }
        REPLY => {
            let mut fields = fields.named("REPLY");
            let reply = non_empty("reply", fields.field("reply")?)?;
            fields.finish()?;
            Ok(Command::Reply { reply })
        }
        FAIL => fail(fields.named("FAIL")),
        HEARTBEAT => fields
            .named("HEARTBEAT")
            .finish()
            .map(|()| Command::Heartbeat),
        DISCONNECT => fields
            .named("DISCONNECT")
            .finish()
            .map(|()| Command::Disconnect),
        other => Err(Error::UnknownCommand(other)),
    }?;
    Ok((version, command))
}

fn submit_packed<F: AsRef<[u8]>>(mut fields: Reader<'_, F>) -> Result<Command, Error> {
    let head = fields.head_rest();
    if head.len() <= SUBMIT_HEAD {
        return Err(Error::HeadLength {
            command: "SUBMIT",
            len: head.len(),
            expected: SUBMIT_HEAD + 1,
        });
    }
    let (fixed, service) = head.split_at(SUBMIT_HEAD);
    let request = id("request id", &fixed[..REQUEST_ID_LEN])?;
    let mut deadline = [0; 4];
    deadline.copy_from_slice(&fixed[REQUEST_ID_LEN..REQUEST_ID_LEN + 4]);
    let deadline = u64::from(u32::from_be_bytes(deadline));
    if deadline > MAX_DURATION_MS {
        return Err(Error::OutOfRange {
            field: "deadline",
            min: 0,
            max: MAX_DURATION_MS,
        });
    }
    let idempotent = match fixed[SUBMIT_HEAD - 1] {
        0 => false,
        1 => true,
        other => {
            return Err(Error::UnknownValue {
                field: "idempotent",
                value: format!("{other:#04x}"),
            })
        }
    };
    let service = ServiceName::new(service)?;
    let payload = non_empty("payload", fields.field("payload")?)?;
    fields.finish()?;
    Ok(Command::Submit {
        request,
        service,
        deadline: (deadline > 0).then(|| Duration::from_millis(deadline)),
        idempotent,
        payload,
    })
}

fn submit<F: AsRef<[u8]>>(mut fields: Reader<'_, F>) -> Result<Command, Error> {
    let request = id(
        "request id",
        fields.head_field("request id", REQUEST_ID_LEN)?,
    )?;
    let service = ServiceName::new(fields.field("service")?)?;
    let deadline = millis("deadline", fields.field("deadline")?)?;
    let idempotent = match fields.field("idempotent")? {
        b"0" => false,
        b"1" => true,
        other => {
            return Err(Error::UnknownValue {
                field: "idempotent",
                value: Error::preview(other, 32),
            })
        }
    };
    let payload = non_empty("payload", fields.field("payload")?)?;
    fields.finish()?;
    Ok(Command::Submit {
        request,
        service,
        deadline,
        idempotent,
        payload,
    })
}

fn fail<F: AsRef<[u8]>>(mut fields: Reader<'_, F>) -> Result<Command, Error> {
    let request = id(
        "request id",
        fields.head_field("request id", REQUEST_ID_LEN)?,
    )?;
    let status = FailStatus::from_code(fields.field("status")?)?;
    let retry_after = millis("retry after", fields.field("retry after")?)?;
    let reason = FailReason::from_token(fields.field("reason")?)?;
    fields.finish()?;
    Ok(Command::Fail {
        request,
        status,
        retry_after,
        reason,
    })
}

/// A millisecond field where `0` means "not given".
fn millis(field: &'static str, bytes: &[u8]) -> Result<Option<Duration>, Error> {
    let ms = decimal(field, bytes, 0, MAX_DURATION_MS)?;
    Ok((ms > 0).then(|| Duration::from_millis(ms)))
}

#[cfg(test)]
mod tests;
