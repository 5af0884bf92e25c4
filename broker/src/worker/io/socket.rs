//! The DEALER socket: opened with the settings' options, and written as worker-protocol messages whose empty
//! delimiter frame is what libzmq refuses when its high-water mark is reached.

use crate::protocol::{self, Command, Version};

use super::super::{Error, Settings};

/// Opens a DEALER with the settings' options and connects it.
pub(crate) fn open(
    ctx: &zmq::Context,
    settings: &Settings,
    endpoint: &str,
) -> Result<zmq::Socket, Error> {
    let zmq_err = |op| move |source| Error::Zmq { op, source };
    let socket = ctx.socket(zmq::DEALER).map_err(zmq_err("socket DEALER"))?;
    socket
        .set_linger(settings.linger_ms())
        .map_err(zmq_err("setsockopt ZMQ_LINGER"))?;
    socket
        .set_sndhwm(settings.hwm.get())
        .map_err(zmq_err("setsockopt ZMQ_SNDHWM"))?;
    socket
        .set_rcvhwm(settings.hwm.get())
        .map_err(zmq_err("setsockopt ZMQ_RCVHWM"))?;
    let max = i64::try_from(settings.max_message_size).unwrap_or(i64::MAX);
    socket
        .set_maxmsgsize(max)
        .map_err(zmq_err("setsockopt ZMQ_MAXMSGSIZE"))?;
    if let Some(identity) = &settings.identity {
        socket
            .set_identity(identity)
            .map_err(zmq_err("setsockopt ZMQ_ROUTING_ID"))?;
    }
    socket.connect(endpoint).map_err(|source| Error::Endpoint {
        endpoint: endpoint.to_owned(),
        source,
    })?;
    Ok(socket)
}

/// Most frames a broker message may have (an S0W/1 REQUEST has 6); longer ones are drained and dropped.
pub(super) const MAX_FRAMES: usize = 8;

/// Frames up to this size are copied into the message (small ones inline in libzmq's message, no
/// allocation at all); larger ones are handed over without a copy.
const COPY_BELOW: usize = 4096;

/// The frames of one command after its empty delimiter, which [`send_message`] adds.
pub(super) fn frames(command: &Command, version: Version) -> Vec<zmq::Message> {
    protocol::encode_version(command, version)
        .into_iter()
        .skip(1)
        .map(|frame| {
            if frame.len() < COPY_BELOW {
                zmq::Message::from(&frame[..])
            } else {
                zmq::Message::from(Vec::<u8>::from(frame))
            }
        })
        .collect()
}

/// Sends the empty delimiter, then `fields`. libzmq accepts a multipart message whole or refuses its
/// first frame, so a refusal costs only the delimiter, and the fields come back (`Err(Some)`) to be
/// retried. `Err(None)`: the socket failed; the message is lost (logged).
pub(super) fn send_message(
    socket: &zmq::Socket,
    fields: Vec<zmq::Message>,
) -> Result<(), Option<Vec<zmq::Message>>> {
    match socket.send(zmq::Message::new(), zmq::DONTWAIT | zmq::SNDMORE) {
        Ok(()) => {}
        Err(zmq::Error::EAGAIN) => return Err(Some(fields)),
        Err(error) => {
            tracing::warn!(%error, "sending to the broker failed");
            return Err(None);
        }
    }
    let last = fields.len().saturating_sub(1);
    for (i, field) in fields.into_iter().enumerate() {
        let flags = if i < last { zmq::SNDMORE } else { 0 };
        if let Err(error) = socket.send(field, zmq::DONTWAIT | flags) {
            tracing::warn!(%error, "sending to the broker failed mid-message");
            return Err(None);
        }
    }
    Ok(())
}

/// One whole message, if one is waiting. A message with more than [`MAX_FRAMES`] frames is read to
/// its end and comes back empty (which the session drops as malformed).
pub(super) fn recv(socket: &zmq::Socket) -> Option<Vec<zmq::Message>> {
    let mut frames = Vec::with_capacity(MAX_FRAMES);
    let mut oversized = false;
    loop {
        let mut frame = zmq::Message::new();
        match socket.recv(&mut frame, zmq::DONTWAIT) {
            Ok(()) => {}
            Err(zmq::Error::EAGAIN) if frames.is_empty() && !oversized => return None,
            Err(error) => {
                tracing::warn!(%error, "receiving from the broker failed");
                return None;
            }
        }
        let more = frame.get_more();
        if frames.len() < MAX_FRAMES {
            frames.push(frame);
        } else {
            oversized = true;
            frames.clear();
        }
        if !more {
            break;
        }
    }
    if oversized {
        tracing::warn!(max = MAX_FRAMES, "broker message with too many frames");
        frames.clear();
    }
    Some(frames)
}
