//! The handler of the WebSocket stories: it records every frame a server pushes and answers as
//! the handler of the `json-07-websocket` capture did, so Mongrel2 and Scale0 can be compared with
//! each other and with the captured bytes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use mongrel2_compat::handler::{http_response, Connection};
use mongrel2_compat::request::{self, key, Request};
use mongrel2_compat::websocket::{parse_flags, Opcode};
use scale0_tests::client::Conn;
use scale0_tests::recorder::normalise;
use scale0_tests::wait;

use super::EVENT;

/// How long one receive waits before the thread checks whether to stop.
const POLL: Duration = Duration::from_millis(10);

/// A running echo handler.
pub(super) struct Echo {
    frames: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Echo {
    /// Connects to a server's sockets and waits until the server's replies reach the client
    /// (a probe on HTTP port `port` is answered), so no reply is lost to the slow joiner.
    pub(super) fn start(send_spec: &str, recv_spec: &str, port: u16) -> Echo {
        Echo::start_behind(send_spec, recv_spec, port, b"")
    }

    /// [`Echo::start`] for a listener that wants `preamble` (a PROXY header) before each request.
    pub(super) fn start_behind(
        send_spec: &str,
        recv_spec: &str,
        port: u16,
        preamble: &[u8],
    ) -> Echo {
        let conn = Connection::connect(None, send_spec, recv_spec).unwrap();
        let frames = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (frames, stop) = (frames.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(Some(incoming)) = conn.recv_timeout(POLL) else {
                        continue;
                    };
                    frames.lock().unwrap().push(incoming.bytes().to_vec());
                    if let Ok(req) = incoming.request() {
                        answer(&conn, &req);
                    }
                }
            })
        };
        wait::until("the echo handler to answer a probe", EVENT * 2, || {
            let mut client = Conn::connect(port).ok()?;
            let probe = b"GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n";
            client.send(&[preamble, probe].concat()).ok()?;
            client.read_response(Duration::from_millis(250)).ok()
        })
        .unwrap();
        Echo {
            frames,
            stop,
            thread: Some(thread),
        }
    }

    /// Every frame received, SENDER and CONN_ID normalised, except those of the readiness
    /// probes' connections.
    pub(super) fn frames(&self) -> Vec<String> {
        let frames = self.frames.lock().unwrap();
        let conn_id = |f: &[u8]| {
            request::decode(f)
                .ok()
                .map(|r| (r.conn_id, r.path == b"/probe"))
        };
        let probes: Vec<u64> = frames
            .iter()
            .filter_map(|f| conn_id(f))
            .filter_map(|(id, probe)| probe.then_some(id))
            .collect();
        frames
            .iter()
            .filter(|f| conn_id(f).is_none_or(|(id, _)| !probes.contains(&id)))
            .map(|f| text(&normalise(f)))
            .collect()
    }

    /// Waits until `n` frames arrived; returns them normalised.
    pub(super) fn wait_frames(&self, what: &str, n: usize) -> Vec<String> {
        wait::until(what, EVENT, || (self.frames().len() >= n).then_some(()))
            .unwrap_or_else(|e| panic!("{e}: got {:#?}", self.frames()));
        self.frames()
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one request as the capture's handler did: 101 for a handshake, `echo: ` + text for a
/// text message, a close frame and the close message for a close, nothing for other frames; a
/// `{"type":"hello","n":1}` for a JSON-socket join (nothing for other JSON messages, so no reply
/// races the client's close); a small page for HTTP requests.
fn answer(conn: &Connection, req: &Request<'_>) {
    if req.is_notice() {
        return;
    }
    let sent = match req.method() {
        Some(key::METHOD_WEBSOCKET_HANDSHAKE) => {
            let accept = String::from_utf8_lossy(req.body);
            let head = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            conn.reply(req, head.as_bytes())
        }
        Some(key::METHOD_WEBSOCKET) => {
            let flags = req.headers.get(key::FLAGS).map(|v| v.first());
            match flags.and_then(|f| parse_flags(f).ok()).map(|f| f.1) {
                Some(Opcode::Text) => {
                    conn.reply_websocket(req, Opcode::Text, &[b"echo: ", req.body].concat())
                }
                Some(Opcode::Close) => conn
                    .reply_websocket(req, Opcode::Close, b"\x03\xe8")
                    .and_then(|()| conn.close(req)),
                _ => Ok(()),
            }
        }
        Some(key::METHOD_JSON) if req.body.starts_with(br#"{"type":"join""#) => {
            conn.reply(req, br#"{"type":"hello","n":1}"#)
        }
        Some(key::METHOD_JSON) => Ok(()),
        _ => conn.reply(req, &http_response(b"probe\n", 200, "OK", &[])),
    };
    if let Err(e) = sent {
        eprintln!("echo handler: reply failed: {e}");
    }
}

/// Bytes as text for comparing and printing (non-UTF-8 bytes escaped).
pub(super) fn text(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}
