//! The DEALER socket: Scale0's own ZMTP ([`SyncDealer`], the default for `tcp://` and `ipc://`: no libzmq
//! I/O thread between the worker and the broker) or libzmq's, opened with the settings' options, and
//! written as worker-protocol messages whose empty delimiter frame is what a full queue refuses.

use std::os::fd::RawFd;
use std::time::Instant;

use bytes::Bytes;

use crate::protocol::{self, Command, Version};
use crate::runtime::sockets::Frame;
use crate::runtime::Transport;
use crate::zmtp::{self, Endpoint, Received, SendError, SyncDealer};

use super::super::{Error, Settings};

/// The worker's connection to the broker.
pub(crate) enum Socket {
    Native(Box<SyncDealer>),
    Libzmq(zmq::Socket),
}

/// What [`Socket::recv`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recv {
    Nothing,
    /// A message, in the frames (empty for one with too many frames).
    Message,
    /// The native socket's connection to the broker dropped; it reconnects by itself.
    Lost,
}

/// Opens a DEALER with the settings' options and connects it.
pub(crate) fn open(
    ctx: &zmq::Context,
    settings: &Settings,
    endpoint: &str,
) -> Result<Socket, Error> {
    if settings.transport == Transport::Native {
        if let Ok(parsed) = Endpoint::parse(endpoint) {
            let limits = zmtp::Limits {
                hwm: usize::try_from(settings.hwm.get()).unwrap_or(1).max(1),
                max_frame: settings.max_message_size,
                max_frames: MAX_FRAMES,
            };
            let identity = Bytes::from(settings.identity.clone().unwrap_or_default());
            let dealer = SyncDealer::connect(parsed, identity, limits);
            return Ok(Socket::Native(Box::new(dealer)));
        }
    }
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
    Ok(Socket::Libzmq(socket))
}

/// Most frames a broker message may have (an S0W/1 REQUEST has 6 and its delimiter); longer ones are
/// drained and dropped.
pub(super) const MAX_FRAMES: usize = 8;

/// Frames up to this size are copied into libzmq's message (small ones inline, no allocation at all);
/// larger ones are handed over without a copy.
const COPY_BELOW: usize = 4096;

/// The frames of one command after its empty delimiter, which [`Socket::send_message`] adds.
pub(super) fn frames(command: &Command, version: Version) -> Vec<Bytes> {
    let mut frames = protocol::encode_version(command, version);
    frames.remove(0);
    frames
}

fn zmq_message(frame: Bytes) -> zmq::Message {
    if frame.len() < COPY_BELOW {
        zmq::Message::from(&frame[..])
    } else {
        zmq::Message::from(Vec::<u8>::from(frame))
    }
}

impl Socket {
    /// The descriptor to poll and the events to poll it for, given what the loop wants (`events`); a
    /// libzmq socket is polled as itself by [`Socket::poll_item`].
    pub(super) fn native_fd(&self, events: zmq::PollEvents) -> Option<(RawFd, zmq::PollEvents)> {
        match self {
            Socket::Native(dealer) => {
                let mut wanted = events & zmq::POLLIN;
                // POLLOUT in `events`: the loop has a backlog to hand over once the socket can take it.
                if dealer.wants_write() || events.contains(zmq::POLLOUT) {
                    wanted |= zmq::POLLOUT;
                }
                dealer.fd().map(|fd| (fd, wanted))
            }
            Socket::Libzmq(_) => None,
        }
    }

    /// The poll item of a libzmq socket.
    pub(super) fn poll_item(&self, events: zmq::PollEvents) -> Option<zmq::PollItem<'_>> {
        match self {
            Socket::Libzmq(socket) => Some(socket.as_poll_item(events)),
            Socket::Native(_) => None,
        }
    }

    /// Whether the loop must not sleep: messages already read wait in the native socket.
    pub(super) fn has_input(&self) -> bool {
        matches!(self, Socket::Native(dealer) if dealer.has_input())
    }

    /// When the native socket's next connection attempt is due (the poll must end by then).
    pub(super) fn retry_at(&self) -> Option<Instant> {
        match self {
            Socket::Native(dealer) => dealer.retry_at(),
            Socket::Libzmq(_) => None,
        }
    }

    /// After a poll: lets the native socket connect, write and read (`readable`, `writable` as polled).
    pub(super) fn progress(&mut self, readable: bool, writable: bool) {
        if let Socket::Native(dealer) = self {
            dealer.progress(readable, writable, Instant::now());
        }
    }

    /// Sends the empty delimiter, then `fields`. A message is accepted whole or refused whole (libzmq
    /// refuses its first frame), so a refusal gives the fields back (`Err(Some)`) to be retried.
    /// `Err(None)`: the socket failed; the message is lost (logged).
    pub(super) fn send_message(&mut self, fields: Vec<Bytes>) -> Result<(), Option<Vec<Bytes>>> {
        let socket = match self {
            Socket::Native(dealer) => {
                let mut views: Vec<&[u8]> = Vec::with_capacity(fields.len() + 1);
                views.push(b"");
                views.extend(fields.iter().map(|f| &f[..]));
                return match dealer.try_send(&views) {
                    Ok(()) => Ok(()),
                    Err(SendError::Full | SendError::Unreachable) => Err(Some(fields)),
                };
            }
            Socket::Libzmq(socket) => socket,
        };
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
            if let Err(error) = socket.send(zmq_message(field), zmq::DONTWAIT | flags) {
                tracing::warn!(%error, "sending to the broker failed mid-message");
                return Err(None);
            }
        }
        Ok(())
    }

    /// One whole message, if one is waiting. A message with more than [`MAX_FRAMES`] frames is read to
    /// its end and comes back empty (which the session drops as malformed).
    pub(super) fn recv(&mut self, frames: &mut Vec<Frame>) -> Recv {
        frames.clear();
        match self {
            Socket::Native(dealer) => {
                let mut native = Vec::new();
                match dealer.try_recv(&mut native) {
                    Received::Empty => Recv::Nothing,
                    Received::Disconnected => Recv::Lost,
                    Received::Message => {
                        frames.extend(native.into_iter().map(Frame::Bytes));
                        Recv::Message
                    }
                    Received::TooManyFrames => {
                        tracing::warn!(max = MAX_FRAMES, "broker message with too many frames");
                        Recv::Message
                    }
                }
            }
            Socket::Libzmq(socket) => {
                if recv_libzmq(socket, frames) {
                    Recv::Message
                } else {
                    Recv::Nothing
                }
            }
        }
    }

    /// Drops what the native socket queued and has not begun to write (libzmq's queue cannot be
    /// reached; it never reports a lost connection either).
    pub(super) fn discard_queued(&mut self) {
        if let Socket::Native(dealer) = self {
            dealer.discard_queued();
        }
    }

    /// Gives the last messages (the final DISCONNECT) up to `linger` to leave before the socket closes
    /// (libzmq's linger does it for its sockets).
    pub(super) fn close(self, linger: std::time::Duration) {
        if let Socket::Native(dealer) = self {
            dealer.close(linger);
        }
    }
}

fn recv_libzmq(socket: &zmq::Socket, frames: &mut Vec<Frame>) -> bool {
    let mut oversized = false;
    loop {
        let mut frame = zmq::Message::new();
        match socket.recv(&mut frame, zmq::DONTWAIT) {
            Ok(()) => {}
            Err(zmq::Error::EAGAIN) if frames.is_empty() && !oversized => return false,
            Err(error) => {
                tracing::warn!(%error, "receiving from the broker failed");
                return false;
            }
        }
        let more = frame.get_more();
        if frames.len() < MAX_FRAMES {
            frames.push(Frame::Zmq(frame));
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
    true
}
