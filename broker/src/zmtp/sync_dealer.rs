//! A DEALER for a thread that runs its own `poll` loop (the worker library): non-blocking, no thread of
//! its own. The owner polls [`SyncDealer::fd`] for [`SyncDealer::wants_write`] and readability, calls
//! [`SyncDealer::progress`] when it is ready, and takes messages with [`SyncDealer::try_recv`].
//!
//! Like libzmq's DEALER it reconnects by itself (every [`RECONNECT_INTERVAL`], see
//! [`SyncDealer::retry_at`]) and keeps what was queued while the connection was down; a message cut
//! short by a dropped connection is sent again whole on the next one. Unlike libzmq's, it tells its
//! owner when a connection that was up dropped ([`Received::Disconnected`], no frames, after that
//! connection's last message), and can drop what it queued for it ([`SyncDealer::discard_queued`]).

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};

use super::wire::{self, GREETING_LEN};
use super::{Endpoint, Limits, Received, SendError, READ_CHUNK, RECONNECT_INTERVAL};

/// How long connecting to a tcp endpoint may block the owner's thread (a broker on another host that
/// does not answer); a refused or local connection returns at once.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// Most buffers handed to one `writev`.
const MAX_IOVECS: usize = 64;

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn as_rw(&mut self) -> &mut dyn ReadWrite {
        match self {
            Stream::Tcp(s) => s,
            Stream::Unix(s) => s,
        }
    }

    fn fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No connection; the next attempt is due at the instant.
    Down(Instant),
    /// Connected, greeting and READY sent (or being sent), the peer's greeting not read yet.
    Greeting,
    /// The peer's greeting checked; its READY not read yet.
    AwaitReady,
    /// Handshake done: messages flow.
    Ready,
}

/// A non-blocking DEALER; see the module docs.
pub struct SyncDealer {
    endpoint: Endpoint,
    identity: Bytes,
    limits: Limits,
    stream: Option<Stream>,
    phase: Phase,
    /// Handshake bytes still to write (before any message).
    hello: BytesMut,
    /// Whole encoded messages waiting, the front one `written` bytes in.
    out: VecDeque<Bytes>,
    written: usize,
    inbuf: BytesMut,
    /// Where reads land before they are appended to `inbuf` (zeroed once).
    scratch: Vec<u8>,
    message: Vec<Bytes>,
    too_many: bool,
    inbox: VecDeque<Inbound>,
}

/// What waits for the owner.
enum Inbound {
    Message(Vec<Bytes>),
    TooManyFrames,
    /// The connection that was up dropped (after its last message).
    Lost,
}

impl SyncDealer {
    /// A DEALER with routing identity `identity` (empty: the ROUTER picks one) that connects at once.
    pub fn connect(endpoint: Endpoint, identity: Bytes, mut limits: Limits) -> SyncDealer {
        limits.hwm = limits.hwm.max(1);
        let mut dealer = SyncDealer {
            endpoint,
            identity,
            limits,
            stream: None,
            phase: Phase::Down(Instant::now()),
            hello: BytesMut::new(),
            out: VecDeque::new(),
            written: 0,
            inbuf: BytesMut::new(),
            scratch: vec![0; READ_CHUNK],
            message: Vec::new(),
            too_many: false,
            inbox: VecDeque::new(),
        };
        dealer.progress(false, false, Instant::now());
        dealer
    }

    /// The connection's descriptor to poll, if connected.
    pub fn fd(&self) -> Option<RawFd> {
        self.stream.as_ref().map(Stream::fd)
    }

    /// Whether the owner should poll for writability (bytes are waiting for the socket).
    pub fn wants_write(&self) -> bool {
        self.stream.is_some()
            && (!self.hello.is_empty() || (self.phase == Phase::Ready && !self.out.is_empty()))
    }

    /// Whether messages read are waiting for the owner (it should not wait in `poll` then).
    pub fn has_input(&self) -> bool {
        !self.inbox.is_empty()
    }

    /// When the next connection attempt is due, while disconnected (the owner's poll timeout).
    pub fn retry_at(&self) -> Option<Instant> {
        match self.phase {
            Phase::Down(at) => Some(at),
            _ => None,
        }
    }

    /// Moves the connection on: connects when due, writes what is queued, reads what arrived (when
    /// `readable`, or always when `writable` said so: both are hints). Never blocks but to connect.
    pub fn progress(&mut self, readable: bool, writable: bool, now: Instant) {
        if let Phase::Down(at) = self.phase {
            if now < at {
                return;
            }
            self.open(now);
        }
        if self.stream.is_none() {
            return;
        }
        let _ = writable; // writing is always tried: a refused write costs one system call
        if let Err(error) = self.write_some() {
            return self.drop_connection(&error, now);
        }
        if readable || self.phase != Phase::Ready {
            if let Err(error) = self.read_some() {
                return self.drop_connection(&error, now);
            }
            if self.phase == Phase::Ready {
                if let Err(error) = self.write_some() {
                    self.drop_connection(&error, now);
                }
            }
        }
    }

    /// Queues one message; [`SendError::Full`] when [`Limits::hwm`] messages are waiting. Nothing is
    /// written until [`SyncDealer::progress`] (or [`SyncDealer::flush`]): the owner calls it once it has
    /// queued what it has to say, so messages leave together, in one system call and one wake-up of the
    /// peer.
    pub fn try_send(&mut self, frames: &[&[u8]]) -> Result<(), SendError> {
        if self.out.len() >= self.limits.hwm {
            return Err(SendError::Full);
        }
        let size: usize = frames.iter().map(|f| f.len() + 9).sum();
        let mut encoded = BytesMut::with_capacity(size);
        let last = frames.len().saturating_sub(1);
        for (index, frame) in frames.iter().enumerate() {
            wire::put_frame_head(&mut encoded, frame.len(), index < last, false);
            encoded.put_slice(frame);
        }
        self.out.push_back(encoded.freeze());
        Ok(())
    }

    /// Takes the next message into `frames`.
    pub fn try_recv(&mut self, frames: &mut Vec<Bytes>) -> Received {
        frames.clear();
        if self.inbox.len() == 1 && self.phase == Phase::Ready && !self.inbuf.is_empty() {
            // Reading stopped at the mark with whole messages left in the buffer: decode them now,
            // since no new bytes may come to wake the owner.
            if let Err(error) = self.decode() {
                self.drop_connection(&error, Instant::now());
            }
        }
        match self.inbox.pop_front() {
            None => Received::Empty,
            Some(Inbound::Message(message)) => {
                *frames = message;
                Received::Message
            }
            Some(Inbound::TooManyFrames) => Received::TooManyFrames,
            Some(Inbound::Lost) => Received::Disconnected,
        }
    }

    /// Drops the messages queued and not yet begun (meant for a peer that lost the connection they were
    /// queued on); a message the connection has begun to write stays, so the stream stays whole.
    pub fn discard_queued(&mut self) {
        let begun = if self.written > 0 {
            self.out.pop_front()
        } else {
            None
        };
        self.out.clear();
        self.out.extend(begun);
    }

    /// Writes what is queued, blocking up to `linger` (the last DISCONNECT of a stopping worker),
    /// finishing the handshake first if it is under way.
    pub fn flush(&mut self, linger: Duration) {
        let until = Instant::now() + linger;
        loop {
            let Some(fd) = self.fd() else { return };
            if self.phase == Phase::Ready && self.out.is_empty() {
                return;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let mut events = zmq::POLLIN;
            if self.wants_write() {
                events |= zmq::POLLOUT;
            }
            let mut items = [zmq::PollItem::from_fd(fd, events)];
            let ms = i64::try_from(left.as_millis()).unwrap_or(i64::MAX).max(1);
            if zmq::poll(&mut items, ms).is_err() {
                return;
            }
            let (readable, writable) = (items[0].is_readable(), items[0].is_writable());
            self.progress(readable, writable, Instant::now());
            if self.retry_at().is_some() {
                return tracing::debug!("final flush to the broker: connection lost");
            }
        }
    }

    /// Flushes (see [`SyncDealer::flush`]), then half-closes and reads until the peer closes, within
    /// `linger` in all: closing with unread input would reset the connection, and the peer could lose
    /// the last messages instead of reading them.
    pub fn close(mut self, linger: Duration) {
        let until = Instant::now() + linger;
        self.flush(linger);
        let Some(stream) = &mut self.stream else {
            return;
        };
        let half_closed = match stream {
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Write),
        };
        if half_closed.is_err() {
            return;
        }
        let fd = stream.fd();
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let mut items = [zmq::PollItem::from_fd(fd, zmq::POLLIN)];
            let ms = i64::try_from(left.as_millis()).unwrap_or(i64::MAX).max(1);
            if zmq::poll(&mut items, ms).is_err() {
                return;
            }
            match stream.as_rw().read(&mut self.scratch) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    fn open(&mut self, now: Instant) {
        match connect(&self.endpoint) {
            Ok(stream) => {
                self.stream = Some(stream);
                self.phase = Phase::Greeting;
                self.hello.clear();
                self.hello.put_slice(&wire::greeting(false));
                wire::put_ready(&mut self.hello, "DEALER", Some(&self.identity));
                self.inbuf.clear();
                self.message.clear();
                self.too_many = false;
                self.written = 0;
            }
            Err(error) => {
                tracing::trace!(%error, "zmtp connect failed");
                self.phase = Phase::Down(now + RECONNECT_INTERVAL);
            }
        }
    }

    fn drop_connection(&mut self, error: &io::Error, now: Instant) {
        tracing::debug!(%error, "zmtp connection to the broker dropped");
        if self.phase == Phase::Ready {
            self.inbox.push_back(Inbound::Lost);
        }
        self.stream = None;
        self.written = 0;
        self.phase = Phase::Down(now + RECONNECT_INTERVAL);
    }

    /// Writes until done or `WouldBlock`.
    fn write_some(&mut self) -> io::Result<()> {
        let Some(stream) = &mut self.stream else {
            return Ok(());
        };
        let stream = stream.as_rw();
        while !self.hello.is_empty() {
            match stream.write(&self.hello) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    let _ = self.hello.split_to(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.phase != Phase::Ready {
            return Ok(());
        }
        while !self.out.is_empty() {
            let slices: Vec<IoSlice<'_>> = self
                .out
                .iter()
                .take(MAX_IOVECS)
                .enumerate()
                .map(|(i, m)| IoSlice::new(if i == 0 { &m[self.written..] } else { m }))
                .collect();
            match stream.write_vectored(&slices) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(mut n) => {
                    while n > 0 {
                        let Some(front) = self.out.front() else { break };
                        let left = front.len() - self.written;
                        if n >= left {
                            n -= left;
                            self.out.pop_front();
                            self.written = 0;
                        } else {
                            self.written += n;
                            n = 0;
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads until `WouldBlock` (or until [`Limits::hwm`] messages wait for the owner), decoding.
    fn read_some(&mut self) -> io::Result<()> {
        loop {
            self.decode()?;
            if self.inbox.len() >= self.limits.hwm {
                return Ok(());
            }
            let Some(stream) = &mut self.stream else {
                return Ok(());
            };
            match stream.as_rw().read(&mut self.scratch) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => self.inbuf.extend_from_slice(&self.scratch[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Decodes what `inbuf` holds: the greeting and READY first, then messages into the inbox.
    fn decode(&mut self) -> io::Result<()> {
        let invalid = |e: wire::WireError| io::Error::new(io::ErrorKind::InvalidData, e);
        if self.phase == Phase::Greeting {
            wire::check_greeting_prefix(&self.inbuf).map_err(invalid)?;
            if self.inbuf.len() < GREETING_LEN {
                return Ok(());
            }
            let mut greeting = [0u8; GREETING_LEN];
            greeting.copy_from_slice(&self.inbuf[..GREETING_LEN]);
            wire::check_greeting(&greeting).map_err(invalid)?;
            let _ = self.inbuf.split_to(GREETING_LEN);
            self.phase = Phase::AwaitReady;
        }
        if self.phase == Phase::AwaitReady {
            let Some(frame) = wire::decode_frame(&mut self.inbuf, 4096).map_err(invalid)? else {
                return Ok(());
            };
            if !frame.command {
                return Err(invalid(wire::WireError::Handshake(
                    "data before READY".into(),
                )));
            }
            let peer = wire::parse_ready(&frame.body).map_err(invalid)?;
            if !wire::compatible("DEALER", &peer.socket_type) {
                return Err(invalid(wire::WireError::SocketType {
                    peer: peer.socket_type,
                    ours: "DEALER",
                }));
            }
            self.phase = Phase::Ready;
        }
        while self.inbox.len() < self.limits.hwm {
            let Some(frame) =
                wire::decode_frame(&mut self.inbuf, self.limits.max_frame).map_err(invalid)?
            else {
                return Ok(());
            };
            if frame.command {
                let (name, data) = wire::split_command(&frame.body).map_err(invalid)?;
                match name {
                    b"PING" => {
                        let mut pong = BytesMut::new();
                        wire::put_pong(&mut pong, &data);
                        self.out.push_back(pong.freeze());
                    }
                    b"ERROR" => {
                        let reason = String::from_utf8_lossy(data.get(1..).unwrap_or_default());
                        return Err(invalid(wire::WireError::Handshake(reason.into_owned())));
                    }
                    _ => {}
                }
                continue;
            }
            if self.message.len() < self.limits.max_frames {
                self.message.push(frame.body);
            } else {
                self.too_many = true;
            }
            if !frame.more {
                if std::mem::take(&mut self.too_many) {
                    self.message.clear();
                    self.inbox.push_back(Inbound::TooManyFrames);
                } else {
                    self.inbox
                        .push_back(Inbound::Message(std::mem::take(&mut self.message)));
                }
            }
        }
        Ok(())
    }
}

fn connect(endpoint: &Endpoint) -> io::Result<Stream> {
    match endpoint {
        Endpoint::Tcp { host, port } => {
            let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
            for addr in (host.as_str(), *port).to_socket_addrs()? {
                match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                    Ok(stream) => {
                        stream.set_nodelay(true)?;
                        stream.set_nonblocking(true)?;
                        return Ok(Stream::Tcp(stream));
                    }
                    Err(error) => last = error,
                }
            }
            Err(last)
        }
        Endpoint::Ipc(path) => {
            let stream = UnixStream::connect(path)?;
            stream.set_nonblocking(true)?;
            Ok(Stream::Unix(stream))
        }
    }
}

#[cfg(test)]
mod tests;
