//! One ZMTP connection: its stream, the handshake, the outbound queue and its writer, the reader.

use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::Notify;

use super::wire::{self, PeerMetadata, WireError, GREETING_LEN};
use super::{Endpoint, Limits, SendError, HANDSHAKE_TIMEOUT, READ_CHUNK};

pub(super) type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
pub(super) type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// Bodies up to this size are copied into the queue's buffer next to their frame heads (one write for
/// many small messages); larger ones are queued as they are, without a copy.
const COPY_BELOW: usize = 2048;

/// Most buffers handed to one `writev`.
const MAX_IOVECS: usize = 64;

/// How a connection ended.
#[derive(Debug, thiserror::Error)]
pub(super) enum End {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Wire(#[from] WireError),
    #[error("handshake timed out")]
    Timeout,
    #[error("closed by the peer")]
    Eof,
}

/// Splits a stream into boxed halves (the two transports behave alike from here on).
pub(super) fn split_tcp(stream: TcpStream) -> (ReadHalf, WriteHalf) {
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    (Box::new(read), Box::new(write))
}

pub(super) fn split_unix(stream: UnixStream) -> (ReadHalf, WriteHalf) {
    let (read, write) = stream.into_split();
    (Box::new(read), Box::new(write))
}

/// Opens a connection to `endpoint`.
pub(super) async fn connect(endpoint: &Endpoint) -> io::Result<(ReadHalf, WriteHalf)> {
    match endpoint {
        Endpoint::Tcp { host, port } => {
            Ok(split_tcp(TcpStream::connect((host.as_str(), *port)).await?))
        }
        Endpoint::Ipc(path) => Ok(split_unix(UnixStream::connect(path).await?)),
    }
}

/// Greets, sends READY, and reads the peer's greeting and READY, within [`HANDSHAKE_TIMEOUT`]. Returns
/// what the peer said about itself and whatever it sent after its READY.
pub(super) async fn handshake(
    read: &mut ReadHalf,
    write: &mut WriteHalf,
    ours: &'static str,
    as_server: bool,
    identity: Option<&[u8]>,
    limits: Limits,
) -> Result<(PeerMetadata, BytesMut), End> {
    let exchange = async {
        let mut hello = BytesMut::with_capacity(GREETING_LEN + 64);
        hello.put_slice(&wire::greeting(as_server));
        wire::put_ready(&mut hello, ours, identity);
        write.write_all(&hello).await?;
        let mut greeting = [0u8; GREETING_LEN];
        let mut got = 0;
        while got < GREETING_LEN {
            let n = read.read(&mut greeting[got..]).await?;
            if n == 0 {
                return Err(End::Eof);
            }
            got += n;
            wire::check_greeting_prefix(&greeting[..got])?;
        }
        wire::check_greeting(&greeting)?;
        let mut buf = BytesMut::with_capacity(READ_CHUNK);
        let ready = loop {
            if let Some(frame) = wire::decode_frame(&mut buf, limits.max_frame.max(1024))? {
                if !frame.command {
                    return Err(WireError::Handshake("data before READY".into()).into());
                }
                break frame;
            }
            if read.read_buf(&mut buf).await? == 0 {
                return Err(End::Eof);
            }
        };
        let peer = wire::parse_ready(&ready.body)?;
        if !wire::compatible(ours, &peer.socket_type) {
            return Err(WireError::SocketType {
                peer: peer.socket_type,
                ours,
            }
            .into());
        }
        Ok((peer, buf))
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, exchange)
        .await
        .map_err(|_| End::Timeout)?
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A connection's outbound queue: frames encoded by the socket's owner, written by the connection's
/// task.
#[derive(Default)]
pub(super) struct Out {
    state: Mutex<OutState>,
    wake: Notify,
}

#[derive(Default)]
struct OutState {
    /// Encoded bytes waiting, in order; `buf` follows them.
    chunks: Vec<Bytes>,
    buf: BytesMut,
    /// Messages in `chunks` and `buf`.
    queued: usize,
    closed: bool,
}

impl Out {
    /// Queues one message of `frames`; refused when `hwm` messages are already waiting or the
    /// connection is gone.
    pub(super) fn push(&self, frames: &[Bytes], hwm: usize) -> Result<(), SendError> {
        let mut state = lock(&self.state);
        if state.closed {
            return Err(SendError::Unreachable);
        }
        if state.queued >= hwm {
            return Err(SendError::Full);
        }
        let was_empty = state.queued == 0 && state.chunks.is_empty() && state.buf.is_empty();
        let OutState { chunks, buf, .. } = &mut *state;
        let last = frames.len().saturating_sub(1);
        for (index, frame) in frames.iter().enumerate() {
            wire::put_frame_head(buf, frame.len(), index < last, false);
            if frame.len() < COPY_BELOW {
                buf.put_slice(frame);
            } else {
                chunks.push(buf.split().freeze());
                chunks.push(frame.clone());
            }
        }
        state.queued += 1;
        drop(state);
        if was_empty {
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Queues a command frame (PONG); never refused by the mark, so a busy peer still gets its answer.
    pub(super) fn push_command(&self, encode: impl FnOnce(&mut BytesMut)) {
        let mut state = lock(&self.state);
        if state.closed {
            return;
        }
        encode(&mut state.buf);
        drop(state);
        self.wake.notify_one();
    }

    /// No more sends: later pushes are [`SendError::Unreachable`]; the writer writes what is queued, then
    /// stops.
    pub(super) fn close(&self) {
        lock(&self.state).closed = true;
        self.wake.notify_one();
    }

    /// Like [`Out::close`], and what is queued is dropped instead of written.
    pub(super) fn discard(&self) {
        let mut state = lock(&self.state);
        state.closed = true;
        state.chunks.clear();
        state.buf.clear();
        state.queued = 0;
        drop(state);
        self.wake.notify_one();
    }

    /// Whether [`Out::close`] was called.
    pub(super) fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Takes everything queued into `into`; `false` once closed and empty.
    fn take(&self, into: &mut Vec<Bytes>) -> bool {
        let mut state = lock(&self.state);
        if state.closed && state.chunks.is_empty() && state.buf.is_empty() {
            return false;
        }
        into.append(&mut state.chunks);
        if !state.buf.is_empty() {
            let rest = state.buf.split().freeze();
            into.push(rest);
        }
        state.queued = 0;
        true
    }

    /// Writes what is queued until the queue is closed and written, or a write fails.
    pub(super) async fn write_loop(&self, write: &mut WriteHalf) -> Result<(), End> {
        let mut batch = Vec::new();
        loop {
            if !self.take(&mut batch) {
                return Ok(());
            }
            if batch.is_empty() {
                self.wake.notified().await;
                continue;
            }
            write_all(write, &mut batch).await?;
        }
    }
}

/// Writes every buffer of `chunks` (vectored, in order) and empties it.
async fn write_all(write: &mut WriteHalf, chunks: &mut Vec<Bytes>) -> io::Result<()> {
    let mut first = 0;
    while first < chunks.len() {
        let slices: Vec<IoSlice<'_>> = chunks[first..]
            .iter()
            .take(MAX_IOVECS)
            .map(|c| IoSlice::new(c))
            .collect();
        let mut written = write.write_vectored(&slices).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        while written > 0 {
            let chunk = &mut chunks[first];
            if written >= chunk.len() {
                written -= chunk.len();
                first += 1;
            } else {
                let _ = chunk.split_to(written);
                written = 0;
            }
        }
    }
    chunks.clear();
    write.flush().await
}

/// A connection's inbound count: messages read and not yet taken by the socket's owner.
#[derive(Default)]
pub(super) struct In {
    queued: AtomicUsize,
    room: Notify,
}

impl In {
    /// One message is being handed over (counted before the owner can take it).
    pub(super) fn added(&self) {
        self.queued.fetch_add(1, Ordering::AcqRel);
    }

    /// The owner took one of this connection's messages; the reader resumes if it was waiting at `hwm`.
    pub(super) fn taken(&self, hwm: usize) {
        if self.queued.fetch_sub(1, Ordering::AcqRel) >= hwm {
            self.room.notify_one();
        }
    }

    async fn wait_below(&self, hwm: usize) {
        while self.queued.load(Ordering::Acquire) >= hwm {
            self.room.notified().await;
        }
    }
}

/// A message read from a connection.
#[derive(Debug)]
pub(super) enum Incoming {
    Message(Vec<Bytes>),
    TooManyFrames,
    /// A ROUTER's peer is gone (its identity).
    Gone(Bytes),
    /// A DEALER's connection was lost.
    Lost,
}

impl Incoming {
    /// Hands the message to a socket's owner: its frames into `frames` (a gone peer's identity).
    pub(super) fn into_frames(self, frames: &mut Vec<Bytes>) -> super::Received {
        match self {
            Incoming::Message(message) => {
                *frames = message;
                super::Received::Message
            }
            Incoming::TooManyFrames => super::Received::TooManyFrames,
            Incoming::Gone(identity) => {
                frames.push(identity);
                super::Received::Disconnected
            }
            Incoming::Lost => super::Received::Disconnected,
        }
    }
}

/// Appends `item` to an owner's inbox, under the inbox's lock, and wakes the owner through `input` when
/// the inbox was empty (an owner drains its inbox before it waits again, so one wake-up is enough).
pub(super) fn hand_over<T>(inbox: &mut std::collections::VecDeque<T>, item: T, input: &Notify) {
    if inbox.is_empty() {
        input.notify_one();
    }
    inbox.push_back(item);
}

/// Waits until `has_input` holds, woken by `input` (notified when an inbox goes from empty to not
/// empty); at once if it already holds.
pub(super) async fn input_ready(input: &Notify, has_input: impl Fn() -> bool) {
    loop {
        let notified = input.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if has_input() {
            return;
        }
        notified.await;
    }
}

/// Reads messages until the connection ends, handing each to `deliver` and pausing while `hwm` of this
/// connection's messages wait for the owner. PING gets a PONG through `out`; ERROR ends the connection.
pub(super) async fn read_loop(
    read: &mut ReadHalf,
    mut buf: BytesMut,
    limits: Limits,
    inbound: &In,
    out: &Out,
    deliver: &mut (dyn FnMut(Incoming) + Send),
) -> Result<(), End> {
    let mut message = Vec::new();
    let mut too_many = false;
    loop {
        while let Some(frame) = wire::decode_frame(&mut buf, limits.max_frame)? {
            if frame.command {
                let (name, data) = wire::split_command(&frame.body)?;
                match name {
                    b"PING" => out.push_command(|b| wire::put_pong(b, &data)),
                    b"ERROR" => {
                        let reason = String::from_utf8_lossy(data.get(1..).unwrap_or_default());
                        return Err(WireError::Handshake(reason.into_owned()).into());
                    }
                    _ => {}
                }
                continue;
            }
            if message.len() < limits.max_frames {
                message.push(frame.body);
            } else {
                too_many = true;
            }
            if !frame.more {
                let incoming = if std::mem::take(&mut too_many) {
                    message.clear();
                    Incoming::TooManyFrames
                } else {
                    Incoming::Message(std::mem::take(&mut message))
                };
                inbound.added();
                deliver(incoming);
                inbound.wait_below(limits.hwm).await;
            }
        }
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
        if read.read_buf(&mut buf).await? == 0 {
            return Err(End::Eof);
        }
    }
}

/// Runs a connection after its handshake: reads until it ends, writes until `out` is closed and written.
/// A connection whose queue was closed and written is half-closed (FIN) and read until the peer closes
/// or `stop`: closing a socket that still has unread input resets the connection, and the peer would
/// lose the last messages (a stopping broker's FAILs and DISCONNECT) instead of reading them.
pub(super) async fn run(
    read: &mut ReadHalf,
    write: &mut WriteHalf,
    buf: BytesMut,
    limits: Limits,
    (inbound, out): (&In, &Out),
    deliver: &mut (dyn FnMut(Incoming) + Send),
    stop: &tokio_util::sync::CancellationToken,
) -> Result<(), End> {
    let reading = read_loop(read, buf, limits, inbound, out, deliver);
    tokio::pin!(reading);
    let written = tokio::select! {
        () = stop.cancelled() => return Ok(()),
        ended = &mut reading => return ended,
        written = out.write_loop(write) => written,
    };
    written?;
    // Best effort: the peer may be gone already.
    let _ = write.shutdown().await;
    tokio::select! {
        () = stop.cancelled() => Ok(()),
        ended = &mut reading => match ended {
            Err(End::Eof) => Ok(()),
            other => other,
        },
    }
}
