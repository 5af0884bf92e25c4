//! A fake worker on its own thread: a blocking DEALER that answers every REQUEST with one small
//! REPLY-DONE (or a REPLY and a DONE), as fast as libzmq allows (batches: one wait, then everything queued).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use scale0_broker::protocol::{self, Command, ServiceName, Version};

/// The service the benchmark submits to.
pub const SERVICE: &str = "bench";

/// The HTTP response every request gets.
const RESPONSE: &str = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";

/// How long one wait for work lasts, so the stop flag and heartbeats are checked.
const POLL_MS: i64 = 100;

/// Heartbeat period (the broker's default interval is 1 s).
const HEARTBEAT: Duration = Duration::from_millis(500);

/// How a fake worker answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// One REPLY-DONE message (S0W/1.1).
    ReplyDone,
    /// A REPLY, then a DONE (S0W/1.0).
    ReplyThenDone,
}

/// How a fake worker talks: its answer shape and protocol version.
#[derive(Debug, Clone, Copy)]
struct Talk {
    answer: Answer,
    version: Version,
}

/// A running fake worker's thread.
pub type Handle = JoinHandle<Result<(), zmq::Error>>;

/// Starts a worker serving [`SERVICE`] with `capacity`; it says DISCONNECT and ends when `stop` is set.
pub fn spawn(
    endpoint: String,
    identity: String,
    capacity: u32,
    answer: Answer,
    version: Version,
    stop: Arc<AtomicBool>,
) -> std::io::Result<Handle> {
    let talk = Talk { answer, version };
    std::thread::Builder::new()
        .name(identity.clone())
        .spawn(move || serve(&endpoint, &identity, capacity, talk, &stop))
}

fn serve(
    endpoint: &str,
    identity: &str,
    capacity: u32,
    talk: Talk,
    stop: &AtomicBool,
) -> Result<(), zmq::Error> {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::DEALER)?;
    socket.set_linger(100)?;
    socket.set_identity(identity.as_bytes())?;
    socket.set_sndhwm(100_000)?;
    socket.set_rcvhwm(100_000)?;
    socket.connect(endpoint)?;
    let services = vec![ServiceName::new(SERVICE.as_bytes()).map_err(|_| zmq::Error::EINVAL)?];
    let ready = Command::Ready { services, capacity };
    send(&socket, &ready, talk.version)?;
    let mut heartbeat_at = Instant::now() + HEARTBEAT;
    while !stop.load(Ordering::Relaxed) {
        if socket.poll(zmq::POLLIN, POLL_MS)? > 0 {
            loop {
                match socket.recv_multipart(zmq::DONTWAIT) {
                    Ok(frames) => handle(&socket, &frames, &ready, talk)?,
                    Err(zmq::Error::EAGAIN) => break,
                    Err(error) => return Err(error),
                }
            }
        }
        if Instant::now() >= heartbeat_at {
            send(&socket, &Command::Heartbeat { timing: None }, talk.version)?;
            heartbeat_at = Instant::now() + HEARTBEAT;
        }
    }
    send(&socket, &Command::Disconnect { reason: None }, talk.version)
}

fn handle(
    socket: &zmq::Socket,
    frames: &[Vec<u8>],
    ready: &Command,
    talk: Talk,
) -> Result<(), zmq::Error> {
    match protocol::decode(frames) {
        Ok(Command::Request {
            request,
            sender,
            payload,
        }) => {
            let conn = conn_id(&payload);
            let mut reply = Vec::with_capacity(sender.len() + conn.len() + RESPONSE.len() + 16);
            reply.extend_from_slice(&sender);
            reply.extend_from_slice(format!(" {}:", conn.len()).as_bytes());
            reply.extend_from_slice(conn);
            reply.extend_from_slice(b", ");
            reply.extend_from_slice(RESPONSE.as_bytes());
            let reply = Bytes::from(reply);
            match talk.answer {
                Answer::ReplyDone => {
                    send(socket, &Command::ReplyDone { request, reply }, talk.version)
                }
                Answer::ReplyThenDone => {
                    send(socket, &Command::Reply { reply }, talk.version)?;
                    send(socket, &Command::Done { request }, talk.version)
                }
            }
        }
        Ok(Command::Disconnect { .. }) => send(socket, ready, talk.version),
        Ok(_) | Err(_) => Ok(()),
    }
}

/// The conn id field of a Mongrel2 request message (`SENDER SP CONN_ID SP ...`).
fn conn_id(payload: &[u8]) -> &[u8] {
    let mut fields = payload.splitn(3, |&b| b == b' ');
    fields.nth(1).unwrap_or_default()
}

fn send(socket: &zmq::Socket, command: &Command, version: Version) -> Result<(), zmq::Error> {
    let frames = protocol::encode_version(command, version);
    socket.send_multipart(frames.iter().map(|f| &f[..]), 0)
}
