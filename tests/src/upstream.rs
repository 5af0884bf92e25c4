//! A small real HTTP/1.1 upstream for proxy tests, on 127.0.0.1 port 0: it
//! records what it receives (connections, request heads, body bytes as they
//! arrive) and answers by path:
//!
//! - `/gated/<n>`: `n` bytes of `x`, the first [`GATE_BYTES`] at once, the rest
//!   only after [`Upstream::release`] (proves the proxy streams responses);
//! - `/hang`: no answer until the upstream stops (for 504);
//! - `/hop`: a response carrying hop-by-hop headers the proxy must strip;
//! - anything else: `200`, body `<METHOD> <target>\n<n> body bytes\n` then the
//!   body itself when it is at most [`ECHO_MAX`] bytes (for HEAD: the head only).
//!
//! Requests are read with Content-Length or chunked framing and connections
//! are kept alive, so a pooling proxy shows as several requests on one
//! connection. It stops (closing every connection) when dropped.

use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::wait;

mod wire;

use wire::{read_body, read_head};

/// Bytes of a `/gated/` response sent before the gate.
pub const GATE_BYTES: usize = 64 * 1024;
/// Largest request body echoed back.
pub const ECHO_MAX: u64 = 64 * 1024;
/// How long `/gated/` and `/hang` wait at most.
const HOLD: Duration = Duration::from_secs(30);
/// Largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// One request as the upstream received it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Which accepted connection it came on (0, 1, ...).
    pub conn: usize,
    /// The request line's method.
    pub method: String,
    /// The request line's target.
    pub target: String,
    /// Header lines, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes received.
    pub body_len: u64,
}

impl Seen {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Seen>>,
    streams: Mutex<Vec<TcpStream>>,
    body_bytes: AtomicU64,
    released: AtomicBool,
    stopping: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running upstream.
pub struct Upstream {
    /// Its port on 127.0.0.1.
    pub port: u16,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl Upstream {
    /// Binds 127.0.0.1:0 and serves until dropped.
    pub fn start() -> anyhow::Result<Upstream> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(State::default());
        let accept = {
            let state = state.clone();
            std::thread::Builder::new()
                .name("upstream".into())
                .spawn(move || accept_loop(&listener, &state))?
        };
        Ok(Upstream {
            port,
            state,
            accept: Some(accept),
        })
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.state.requests).clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        lock(&self.state.streams).len()
    }

    /// Request body bytes received so far, over all requests.
    pub fn body_bytes(&self) -> u64 {
        self.state.body_bytes.load(Ordering::SeqCst)
    }

    /// Lets `/gated/` responses send the rest of their body.
    pub fn release(&self) {
        self.state.released.store(true, Ordering::SeqCst);
    }

    /// Waits until `n` requests have arrived.
    pub fn wait_requests(&self, n: usize, deadline: Duration) -> anyhow::Result<Vec<Seen>> {
        wait::until(&format!("{n} requests at the upstream"), deadline, || {
            let seen = self.requests();
            (seen.len() >= n).then_some(seen)
        })
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.state.stopping.store(true, Ordering::SeqCst);
        for stream in lock(&self.state.streams).iter() {
            let _closing = stream.shutdown(Shutdown::Both);
        }
        let _wake_accept = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _joined = accept.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, state: &Arc<State>) {
    let mut workers = Vec::new();
    for stream in listener.incoming() {
        if state.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let conn = {
            let mut streams = lock(&state.streams);
            match stream.try_clone() {
                Ok(clone) => streams.push(clone),
                Err(_) => continue,
            }
            streams.len() - 1
        };
        let state = state.clone();
        workers.push(std::thread::spawn(move || {
            let _ended = serve(stream, conn, &state);
        }));
    }
    for stream in lock(&state.streams).iter() {
        let _closing = stream.shutdown(Shutdown::Both);
    }
    for worker in workers {
        let _joined = worker.join();
    }
}

/// Serves requests on one connection until it closes.
fn serve(stream: TcpStream, conn: usize, state: &State) -> anyhow::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let Some(mut seen) = read_head(&mut reader, conn)? else {
            return Ok(());
        };
        let body = read_body(&mut reader, &seen, state)?;
        seen.body_len = body.len;
        lock(&state.requests).push(seen.clone());
        respond(&mut writer, &seen, &body.kept, state)?;
    }
}

/// Answers one request according to its path.
fn respond(writer: &mut TcpStream, seen: &Seen, body: &[u8], state: &State) -> anyhow::Result<()> {
    let wait_for = |flag: &AtomicBool| {
        wait::until("the test to release the upstream", HOLD, || {
            (flag.load(Ordering::SeqCst) || state.stopping.load(Ordering::SeqCst)).then_some(())
        })
    };
    if seen.target == "/hang" {
        let _stopped = wait_for(&state.stopping);
        return Ok(());
    }
    if let Some(n) = seen.target.strip_prefix("/gated/") {
        let n: usize = n.parse()?;
        write!(writer, "HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n")?;
        let chunk = vec![b'x'; 64 * 1024];
        let first = n.min(GATE_BYTES);
        writer.write_all(&chunk[..first])?;
        wait_for(&state.released)?;
        let mut left = n - first;
        while left > 0 {
            let now = left.min(chunk.len());
            writer.write_all(&chunk[..now])?;
            left -= now;
        }
        return Ok(());
    }
    let mut text = format!(
        "{} {}\n{} body bytes\n",
        seen.method, seen.target, seen.body_len
    )
    .into_bytes();
    if seen.body_len <= ECHO_MAX {
        text.extend_from_slice(body);
    }
    let extra = if seen.target == "/hop" {
        "Connection: X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nX-End-To-End: kept\r\n"
    } else {
        ""
    };
    write!(
        writer,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{extra}\r\n",
        text.len()
    )?;
    if seen.method != "HEAD" {
        writer.write_all(&text)?;
    }
    Ok(())
}
