//! A recording Mongrel2 handler for differential tests: it keeps every frame
//! the server pushes, byte for byte, and answers each HTTP request with a
//! response computed from the request alone ([`answer`]), so two servers fed
//! the same client bytes must produce the same handler traffic and the same
//! client answers.
//!
//! It runs on its own thread with a [`Connection`] (PULL to the server's
//! `send_spec`, PUB to its `recv_spec`) and stops when dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use mongrel2_compat::handler::{self, Connection};
use mongrel2_compat::request::{self, Request};

use crate::wait;

/// How long one receive waits before the thread checks whether to stop.
const POLL: Duration = Duration::from_millis(10);

/// Whether the recorder closes connections whose request asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// As Mongrel2's Python library does: after answering an HTTP/1.0 request
    /// without keep-alive or a `Connection: close` request, send the empty
    /// (close) message.
    AsAsked,
    /// Never close: leave it to the client (or to the server).
    Never,
}

/// One frame the recorder received, with its conn id when it decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// The CONN_ID field; `None` when the frame is not a request message.
    pub conn_id: Option<u64>,
}

#[derive(Debug, Default)]
struct State {
    frames: Vec<Frame>,
    held: Vec<Vec<u8>>,
    holding: bool,
    errors: Vec<String>,
}

/// A running recording handler.
#[derive(Debug)]
pub struct Recorder {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Connects to a server's `send_spec`/`recv_spec` and starts answering.
    pub fn start(send_spec: &str, recv_spec: &str, closing: Closing) -> anyhow::Result<Recorder> {
        let conn = Connection::connect(None, send_spec, recv_spec)?;
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::Builder::new()
                .name("recorder".into())
                .spawn(move || serve(&conn, &state, &stop, closing))?
        };
        Ok(Recorder {
            state,
            stop,
            thread: Some(thread),
        })
    }

    /// Every frame received so far, in arrival order.
    pub fn frames(&self) -> Vec<Frame> {
        lock(&self.state).frames.clone()
    }

    /// Waits until `done(frames so far)` holds, or fails after `deadline`
    /// naming `what` and the frames seen.
    pub fn wait_until(
        &self,
        what: &str,
        deadline: Duration,
        done: impl Fn(&[Frame]) -> bool,
    ) -> anyhow::Result<Vec<Frame>> {
        let got = wait::until(what, deadline, || {
            let state = lock(&self.state);
            done(&state.frames).then(|| state.frames.clone())
        });
        got.map_err(|e| e.context(format!("frames so far: {:#?}", self.frames())))
    }

    /// While holding, requests are recorded but not answered; releasing answers
    /// them in arrival order. Lets a test see what a server sends before any
    /// reply (pipelining).
    pub fn hold(&self, holding: bool) {
        lock(&self.state).holding = holding;
    }

    /// Frames the recorder could not decode or answer (should be empty).
    pub fn errors(&self) -> Vec<String> {
        lock(&self.state).errors.clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn serve(conn: &Connection, state: &Mutex<State>, stop: &AtomicBool, closing: Closing) {
    while !stop.load(Ordering::Relaxed) {
        let incoming = match conn.recv_timeout(POLL) {
            Ok(incoming) => incoming,
            Err(e) => {
                lock(state).errors.push(format!("recv: {e}"));
                return;
            }
        };
        let to_answer = {
            let mut state = lock(state);
            if let Some(incoming) = incoming {
                let bytes = incoming.bytes().to_vec();
                let conn_id = request::decode(&bytes).ok().map(|r| r.conn_id);
                state.frames.push(Frame {
                    bytes: bytes.clone(),
                    conn_id,
                });
                state.held.push(bytes);
            }
            if state.holding {
                Vec::new()
            } else {
                std::mem::take(&mut state.held)
            }
        };
        for frame in to_answer {
            if let Err(e) = respond(conn, &frame, closing) {
                lock(state).errors.push(e);
            }
        }
    }
}

/// Answers one frame: nothing for notices, [`answer`] for requests, then the
/// close message when `closing` says so.
fn respond(conn: &Connection, frame: &[u8], closing: Closing) -> Result<(), String> {
    let excerpt = || String::from_utf8_lossy(&frame[..frame.len().min(200)]).into_owned();
    let req = request::decode(frame).map_err(|e| format!("decode {:?}: {e}", excerpt()))?;
    if req.is_notice() {
        return Ok(());
    }
    conn.reply(&req, &answer(&req))
        .map_err(|e| format!("reply to {:?}: {e}", excerpt()))?;
    if closing == Closing::AsAsked && handler::should_close(&req) {
        conn.close(&req)
            .map_err(|e| format!("close {:?}: {e}", excerpt()))?;
    }
    Ok(())
}

/// `frame` with its SENDER and CONN_ID fields replaced by the fixed words
/// `SENDER` and `CONN`, so frames from two servers (each with its own ids)
/// compare byte for byte. Frames with fewer than three fields come back as
/// they are.
pub fn normalise(frame: &[u8]) -> Vec<u8> {
    let mut fields = frame.splitn(3, |&b| b == b' ');
    match (fields.next(), fields.next(), fields.next()) {
        (Some(_), Some(_), Some(rest)) => [b"SENDER CONN ".as_slice(), rest].concat(),
        _ => frame.to_vec(),
    }
}

/// The response the recorder writes for `req`: a function of the request
/// only. The body echoes `METHOD URI body=LEN`; HEAD gets the same head
/// without the body; HTTP/1.0 keep-alive requests get `Connection:
/// keep-alive` and requests to be closed get `Connection: close`.
pub fn answer(req: &Request<'_>) -> Vec<u8> {
    let get = |key: &[u8]| {
        req.headers
            .get(key)
            .map(|v| String::from_utf8_lossy(v.first()).into_owned())
            .unwrap_or_default()
    };
    let method = get(request::key::METHOD);
    let body = format!(
        "{method} {} body={}\n",
        get(request::key::URI),
        req.body.len()
    );
    let connection = req
        .headers
        .get(b"connection")
        .map(|v| v.first().to_ascii_lowercase());
    let mut head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n",
        body.len()
    );
    if handler::should_close(req) {
        head.push_str("Connection: close\r\n");
    } else if get(request::key::VERSION) == "HTTP/1.0"
        && connection.as_deref() == Some(b"keep-alive".as_slice())
    {
        head.push_str("Connection: keep-alive\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    if method != "HEAD" {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(
            crate::repo_root()
                .join("fixtures/mongrel2-captures")
                .join(path),
        )
        .unwrap()
    }

    #[test]
    fn answer_echoes_method_uri_and_body_length() {
        let frame = fixture("json-03-post-small-body/02-m2-to-handler.bin");
        let req = request::decode(&frame).unwrap();
        assert_eq!(
            String::from_utf8(answer(&req)).unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n\r\nPOST /form body=34\n"
        );
    }

    #[test]
    fn normalise_replaces_sender_and_conn_id_only() {
        let frame = fixture("json-01-simple-get/05-m2-to-handler-after-client-close.bin");
        assert_eq!(
            normalise(&frame),
            br#"SENDER CONN @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},"#.to_vec()
        );
        assert_eq!(normalise(b"no-spaces"), b"no-spaces".to_vec());
    }

    #[test]
    fn answer_to_head_has_no_body_and_http10_closes() {
        let frame = fixture("misc-04-odd-request-bytes/34-m2-to-handler-head.bin");
        let req = request::decode(&frame).unwrap();
        assert!(String::from_utf8(answer(&req))
            .unwrap()
            .ends_with("Content-Length: 18\r\n\r\n"));
        let frame = fixture("json-05a-http10/02-m2-to-handler.bin");
        let req = request::decode(&frame).unwrap();
        assert!(String::from_utf8(answer(&req))
            .unwrap()
            .contains("Connection: close\r\n"));
        let frame = fixture("json-05b-http10-keepalive/02-m2-to-handler-req1.bin");
        let req = request::decode(&frame).unwrap();
        assert!(String::from_utf8(answer(&req))
            .unwrap()
            .contains("Connection: keep-alive\r\n"));
    }
}
