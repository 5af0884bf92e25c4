//! Tests of the native ZMTP sockets: the sans-IO codec on its own, then [`Router`] and [`Dealer`]
//! against real libzmq 4.3 peers (rust-zmq), against each other, and against raw TCP clients that speak
//! ZMTP by hand (to stall, misbehave or send commands libzmq would not). Every wait is for an event,
//! with a deadline; servers bind `tcp://127.0.0.1:*` or `ipc://` in a temp dir.

mod commands;
mod frames;
mod garbage;
mod interop;
mod limits;
mod reconnect;
mod routing;

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::*;

/// Upper bound for anything a test waits on; a hang fails with a message instead of stalling.
const DEADLINE: Duration = Duration::from_secs(5);

/// libzmq's receive timeout in the same unit as `ZMQ_RCVTIMEO` (milliseconds).
const ZMQ_RCVTIMEO_MS: i32 = 5_000;

/// Generous bounds for tests that are not about limits.
const ROOMY: Limits = Limits {
    hwm: 1000,
    max_frame: 4 << 20,
    max_frames: 16,
};

/// A loopback tcp endpoint on a free port.
fn tcp_any() -> Endpoint {
    Endpoint::parse("tcp://127.0.0.1:*").unwrap()
}

/// An ipc endpoint named `name` inside `dir`.
fn ipc_in(dir: &TempDir, name: &str) -> Endpoint {
    Endpoint::Ipc(dir.path().join(name))
}

/// A message's frames from byte strings.
fn msg(parts: &[&[u8]]) -> Vec<Bytes> {
    parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
}

/// What the tests need from either native socket.
trait Socket {
    async fn readable(&self);
    fn try_recv(&self, frames: &mut Vec<Bytes>) -> Received;
}

impl Socket for Router {
    async fn readable(&self) {
        Router::readable(self).await;
    }
    fn try_recv(&self, frames: &mut Vec<Bytes>) -> Received {
        Router::try_recv(self, frames)
    }
}

impl Socket for Dealer {
    async fn readable(&self) {
        Dealer::readable(self).await;
    }
    fn try_recv(&self, frames: &mut Vec<Bytes>) -> Received {
        Dealer::try_recv(self, frames)
    }
}

/// The next thing `socket` hands its owner (a message or a dropped one), within [`DEADLINE`].
async fn next(socket: &impl Socket, what: &str) -> (Received, Vec<Bytes>) {
    let wait = async {
        let mut frames = Vec::new();
        loop {
            socket.readable().await;
            match socket.try_recv(&mut frames) {
                Received::Empty => continue,
                received => return (received, frames),
            }
        }
    };
    match timeout(DEADLINE, wait).await {
        Ok(next) => next,
        Err(_) => panic!("no {what} within {DEADLINE:?}"),
    }
}

/// The next message on `socket`, within [`DEADLINE`].
async fn recv(socket: &impl Socket, what: &str) -> Vec<Bytes> {
    let (received, frames) = next(socket, what).await;
    assert_eq!(received, Received::Message, "{what}");
    frames
}

/// Waits for `router` to report that its peer `identity` is gone, within [`DEADLINE`].
async fn expect_disconnected(router: &Router, identity: &[u8]) {
    let (received, frames) = next(router, "the news that a peer left").await;
    assert_eq!(
        (received, frames),
        (Received::Disconnected, msg(&[identity]))
    );
}

/// Waits until `done` holds, checking every few milliseconds, within [`DEADLINE`].
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let wait = async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    if timeout(DEADLINE, wait).await.is_err() {
        panic!("{what} did not happen within {DEADLINE:?}");
    }
}

/// A libzmq socket that neither lingers nor waits forever to receive.
fn zmq_socket(ctx: &zmq::Context, kind: zmq::SocketType, identity: Option<&[u8]>) -> zmq::Socket {
    let socket = ctx.socket(kind).unwrap();
    socket.set_linger(0).unwrap();
    socket.set_rcvtimeo(ZMQ_RCVTIMEO_MS).unwrap();
    if let Some(identity) = identity {
        socket.set_identity(identity).unwrap();
    }
    socket
}

/// A libzmq DEALER connected to `router`.
fn zmq_dealer(ctx: &zmq::Context, router: &Router, identity: Option<&[u8]>) -> zmq::Socket {
    let socket = zmq_socket(ctx, zmq::DEALER, identity);
    socket.connect(router.endpoint()).unwrap();
    socket
}

/// Receives one message on a blocking thread (the native sockets run on this test's thread, which
/// must stay free); hands the socket back with it.
async fn zmq_recv(socket: zmq::Socket, what: &str) -> (zmq::Socket, Vec<Vec<u8>>) {
    let (socket, received) = tokio::task::spawn_blocking(move || {
        let received = socket.recv_multipart(0);
        (socket, received)
    })
    .await
    .unwrap();
    match received {
        Ok(message) => (socket, message),
        Err(error) => panic!("libzmq got no {what}: {error}"),
    }
}

/// A TCP client that speaks ZMTP by hand: it greets and says READY as a `socket_type` with
/// `identity`, and reads nothing yet.
async fn raw_peer(router: &Router, socket_type: &str, identity: &[u8]) -> TcpStream {
    let address = router.endpoint().strip_prefix("tcp://").unwrap();
    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut hello = BytesMut::new();
    hello.extend_from_slice(&wire::greeting(false));
    wire::put_ready(&mut hello, socket_type, Some(identity));
    stream.write_all(&hello).await.unwrap();
    stream
}

/// Reads the next frame a raw peer gets, within [`DEADLINE`].
async fn read_frame(stream: &mut TcpStream, buf: &mut BytesMut, what: &str) -> wire::Frame {
    let read = async {
        loop {
            if let Some(frame) = wire::decode_frame(buf, usize::MAX).unwrap() {
                return frame;
            }
            assert_ne!(
                stream.read_buf(buf).await.unwrap(),
                0,
                "closed before {what}"
            );
        }
    };
    match timeout(DEADLINE, read).await {
        Ok(frame) => frame,
        Err(_) => panic!("no {what} within {DEADLINE:?}"),
    }
}

/// Reads and checks the other end's greeting and READY; returns what its READY says.
async fn read_handshake(stream: &mut TcpStream, buf: &mut BytesMut) -> wire::PeerMetadata {
    let mut greeting = [0u8; wire::GREETING_LEN];
    timeout(DEADLINE, stream.read_exact(&mut greeting))
        .await
        .expect("no greeting in time")
        .unwrap();
    wire::check_greeting(&greeting).unwrap();
    let ready = read_frame(stream, buf, "READY").await;
    assert!(
        ready.command,
        "the first frame after the greeting is a command"
    );
    wire::parse_ready(&ready.body).unwrap()
}

/// Whether the other end closes `stream` within [`DEADLINE`] (whatever it sent before is skipped).
async fn closed_by_peer(stream: &mut TcpStream) -> bool {
    let drain = async {
        let mut sink = [0u8; 4096];
        // A reset is a close too.
        while let Ok(1..) = stream.read(&mut sink).await {}
    };
    timeout(DEADLINE, drain).await.is_ok()
}
