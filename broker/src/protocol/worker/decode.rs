//! Decoding S0W/1 and S0W/2 frames into a [`Command`], checking each field against its cap.

use bytes::Bytes;

use super::super::field::{self, decimal, non_empty, open, validate_text, Reader};
use super::super::{
    Error, ServiceName, Version, HEARTBEAT_INTERVAL_MS, LIVENESS, MAX_CAPACITY, MAX_REASON_LEN,
    MAX_SERVICES_PER_READY, REQUEST_ID_LEN,
};
use super::{
    Command, HeartbeatTiming, RequestId, CANCEL, DISCONNECT, DONE, DRAIN, HEARTBEAT, IDS, READY,
    RECONNECT_TO, REPLY, REPLY_DONE, REQUEST,
};

/// Decodes the frames of one message (delimiter first), in either version. Accepts any frame type that
/// derefs to bytes, so the I/O loop can pass `zmq::Message`s or slices without copying them first.
pub fn decode<F: AsRef<[u8]>>(frames: &[F]) -> Result<Command, Error> {
    decode_versioned(frames).map(|(_, command)| command)
}

/// The version a message claims, judged from its head alone (for answering one that fails to decode:
/// an S0W/2 peer sending an unknown command is refused in S0W/2).
pub fn claimed_version<F: AsRef<[u8]>>(frames: &[F]) -> Version {
    match frames.get(1) {
        Some(head) if head.as_ref().starts_with(IDS.v2) => Version::V2,
        _ => Version::V1,
    }
}

/// Like [`decode`], also telling which version the message was framed in (a peer is answered in it).
pub fn decode_versioned<F: AsRef<[u8]>>(frames: &[F]) -> Result<(Version, Command), Error> {
    let (code, fields) = open(frames, &IDS)?;
    let version = fields.version();
    let command = match code {
        READY => ready(fields.named("READY")),
        REQUEST => request(fields.named("REQUEST")),
        REPLY => {
            let mut fields = fields.named("REPLY");
            let reply = non_empty("reply", fields.field("reply")?)?;
            fields.finish()?;
            Ok(Command::Reply { reply })
        }
        DONE => {
            let mut fields = fields.named("DONE");
            let request = request_id(fields.head_field("request id", REQUEST_ID_LEN)?)?;
            fields.finish()?;
            Ok(Command::Done { request })
        }
        REPLY_DONE => {
            let mut fields = fields.named("REPLY-DONE");
            let request = request_id(fields.head_field("request id", REQUEST_ID_LEN)?)?;
            let reply = non_empty("reply", fields.field("reply")?)?;
            fields.finish()?;
            Ok(Command::ReplyDone { request, reply })
        }
        HEARTBEAT => heartbeat(fields.named("HEARTBEAT")),
        DISCONNECT => {
            let mut fields = fields.named("DISCONNECT");
            let reason = fields
                .optional()
                .map(|r| validate_text("reason", r, MAX_REASON_LEN))
                .transpose()?;
            fields.finish()?;
            Ok(Command::Disconnect {
                reason: reason.map(str::to_owned),
            })
        }
        RECONNECT_TO => {
            let mut fields = fields.named("RECONNECT-TO");
            let endpoint = field::validate_endpoint(fields.field("endpoint")?)?.to_owned();
            fields.finish()?;
            Ok(Command::ReconnectTo { endpoint })
        }
        CANCEL => {
            let mut fields = fields.named("CANCEL");
            let request = request_id(fields.head_field("request id", REQUEST_ID_LEN)?)?;
            let notice = non_empty("notice", fields.field("notice")?)?;
            fields.finish()?;
            Ok(Command::Cancel { request, notice })
        }
        DRAIN => fields.named("DRAIN").finish().map(|()| Command::Drain),
        other => Err(Error::UnknownCommand(other)),
    }?;
    Ok((version, command))
}

fn ready<F: AsRef<[u8]>>(mut fields: Reader<'_, F>) -> Result<Command, Error> {
    let capacity = decimal(
        "capacity",
        fields.field("capacity")?,
        1,
        u64::from(MAX_CAPACITY),
    )?;
    let names = fields.rest()?;
    let count = names.len();
    if count == 0 {
        return Err(Error::MissingField {
            command: "READY",
            field: "service",
        });
    }
    if count > MAX_SERVICES_PER_READY {
        return Err(Error::TooManyServices {
            count,
            max: MAX_SERVICES_PER_READY,
        });
    }
    let mut services: Vec<ServiceName> = Vec::with_capacity(count);
    for name in names {
        let name = ServiceName::new(name)?;
        if services.contains(&name) {
            return Err(Error::DuplicateService {
                name: name.as_str().to_owned(),
            });
        }
        services.push(name);
    }
    let capacity = u32::try_from(capacity).map_err(|_| Error::OutOfRange {
        field: "capacity",
        min: 1,
        max: u64::from(MAX_CAPACITY),
    })?;
    Ok(Command::Ready { services, capacity })
}

fn request<F: AsRef<[u8]>>(mut fields: Reader<'_, F>) -> Result<Command, Error> {
    let request = request_id(fields.head_field("request id", REQUEST_ID_LEN)?)?;
    let sender = match fields.version() {
        Version::V1 => Some(fields.field("sender id")?),
        Version::V2 => None,
    };
    let payload = non_empty("payload", fields.field("payload")?)?;
    fields.finish()?;
    // S0W/2 carries no sender frame: it is the payload's first word, as in every Mongrel2 request.
    let sender = match sender {
        Some(sender) => Bytes::copy_from_slice(sender),
        None => {
            let end = payload
                .iter()
                .position(|&b| b == b' ')
                .unwrap_or(payload.len());
            payload.slice(..end)
        }
    };
    field::validate_sender_id(&sender)?;
    Ok(Command::Request {
        request,
        sender,
        payload,
    })
}

fn heartbeat<F: AsRef<[u8]>>(mut fields: Reader<'_, F>) -> Result<Command, Error> {
    let Some(interval) = fields.optional() else {
        fields.finish()?;
        return Ok(Command::Heartbeat { timing: None });
    };
    let (min, max) = (*HEARTBEAT_INTERVAL_MS.start(), *HEARTBEAT_INTERVAL_MS.end());
    let interval_ms = decimal("heartbeat interval", interval, min, max)?;
    let (min, max) = (*LIVENESS.start(), *LIVENESS.end());
    let liveness = decimal("liveness", fields.field("liveness")?, min, max)?;
    fields.finish()?;
    let narrow = |field, v: u64, min, max| {
        u32::try_from(v).map_err(|_| Error::OutOfRange { field, min, max })
    };
    Ok(Command::Heartbeat {
        timing: Some(HeartbeatTiming {
            interval_ms: narrow("heartbeat interval", interval_ms, 0, u64::from(u32::MAX))?,
            liveness: narrow("liveness", liveness, 0, u64::from(u32::MAX))?,
        }),
    })
}

fn request_id(bytes: &[u8]) -> Result<RequestId, Error> {
    field::id("request id", bytes).map(RequestId)
}
