//! Decoding S0W/1 frames into a [`Command`], checking each field against its cap.

use bytes::Bytes;

use super::super::field::{self, decimal, non_empty, open, validate_text, Reader};
use super::super::{
    Error, ServiceName, HEARTBEAT_INTERVAL_MS, LIVENESS, MAX_CAPACITY, MAX_REASON_LEN,
    MAX_SERVICES_PER_READY, WORKER_PROTOCOL,
};
use super::{
    Command, HeartbeatTiming, RequestId, CANCEL, DISCONNECT, DONE, DRAIN, HEARTBEAT, READY,
    RECONNECT_TO, REPLY, REPLY_DONE, REQUEST,
};

/// Decodes the frames of one message (delimiter first). Accepts any frame type that derefs to bytes, so
/// the I/O loop can pass `zmq::Message`s or slices without copying them first.
pub fn decode<F: AsRef<[u8]>>(frames: &[F]) -> Result<Command, Error> {
    let (code, fields) = open(frames, WORKER_PROTOCOL)?;
    match code {
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
            let request = request_id(fields.field("request id")?)?;
            fields.finish()?;
            Ok(Command::Done { request })
        }
        REPLY_DONE => {
            let mut fields = fields.named("REPLY-DONE");
            let request = request_id(fields.field("request id")?)?;
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
            let request = request_id(fields.field("request id")?)?;
            let notice = non_empty("notice", fields.field("notice")?)?;
            fields.finish()?;
            Ok(Command::Cancel { request, notice })
        }
        DRAIN => fields.named("DRAIN").finish().map(|()| Command::Drain),
        other => Err(Error::UnknownCommand(other)),
    }
}

fn ready<F: AsRef<[u8]>>(mut fields: Reader<'_, F>) -> Result<Command, Error> {
    let capacity = decimal(
        "capacity",
        fields.field("capacity")?,
        1,
        u64::from(MAX_CAPACITY),
    )?;
    let names = fields.rest();
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
    let request = request_id(fields.field("request id")?)?;
    let sender = fields.field("sender id")?;
    field::validate_sender_id(sender)?;
    let payload = non_empty("payload", fields.field("payload")?)?;
    fields.finish()?;
    Ok(Command::Request {
        request,
        sender: Bytes::copy_from_slice(sender),
        payload,
    })
}

fn heartbeat<F: AsRef<[u8]>>(mut fields: Reader<'_, F>) -> Result<Command, Error> {
    let Some(interval) = fields.optional() else {
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
