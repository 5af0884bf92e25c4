//! A blocking handler API over ZeroMQ: what Mongrel2's Python `handler.py`
//! offers, in Rust. A handler connects a PULL socket to the server's
//! `send_spec` (requests) and a PUB socket to its `recv_spec` (replies); the
//! server may be a real Mongrel2 or a Scale0 gateway.
//!
//! ```no_run
//! use mongrel2_compat::handler::Connection;
//! let conn = Connection::connect(None, "tcp://127.0.0.1:9997", "tcp://127.0.0.1:9996")?;
//! loop {
//!     let incoming = conn.recv()?;
//!     let request = incoming.request()?;
//!     if request.is_notice() {
//!         continue; // a disconnect notice or download credits
//!     }
//!     conn.reply_http(&request, b"hello\n", 200, "OK", &[("Content-Type", "text/plain")])?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use crate::reply;
use crate::request::{self, Request};
use crate::websocket::{self, Opcode};

/// Ids per reply message the API splits broadcasts into (Mongrel2 accepts 128).
pub const MAX_IDENTS: usize = 100;
/// How long unsent replies may hold up `Drop` of a connection.
pub const LINGER: Duration = Duration::from_secs(1);

/// Why a handler call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A ZeroMQ call failed (the text names which).
    #[error("zmq {op}: {source}")]
    Zmq {
        /// The operation.
        op: &'static str,
        /// The libzmq error.
        source: zmq::Error,
    },
    /// A received message is not a Mongrel2 request.
    #[error("malformed request message: {0}")]
    Request(#[from] request::Error),
    /// A WebSocket frame could not be built.
    #[error("websocket frame: {0}")]
    WebSocket(#[from] websocket::Error),
}

fn zmq_err(op: &'static str) -> impl FnOnce(zmq::Error) -> Error {
    move |source| Error::Zmq { op, source }
}

/// A handler's pair of sockets.
pub struct Connection {
    _ctx: zmq::Context,
    reqs: zmq::Socket,
    resp: zmq::Socket,
    scratch: std::cell::RefCell<Vec<u8>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

/// One received message; the request borrows from it.
#[derive(Debug)]
pub struct Incoming {
    frame: zmq::Message,
}

impl Incoming {
    /// The raw bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.frame
    }

    /// The message decoded as a Mongrel2 request (notices included).
    pub fn request(&self) -> Result<Request<'_>, request::Error> {
        request::decode(&self.frame)
    }
}

impl Connection {
    /// Connects to a server: PULL to `send_spec` (the server's requests), PUB to
    /// `recv_spec` (the server's replies). `sender_id`, when given, becomes the
    /// PUB identity, as in Python's `Connection(sender_id, sub_addr, pub_addr)`.
    pub fn connect(
        sender_id: Option<&str>,
        send_spec: &str,
        recv_spec: &str,
    ) -> Result<Connection, Error> {
        let ctx = zmq::Context::new();
        let reqs = ctx.socket(zmq::PULL).map_err(zmq_err("socket PULL"))?;
        reqs.connect(send_spec)
            .map_err(zmq_err("connect send_spec"))?;
        let resp = ctx.socket(zmq::PUB).map_err(zmq_err("socket PUB"))?;
        if let Some(id) = sender_id.filter(|id| !id.is_empty()) {
            resp.set_identity(id.as_bytes())
                .map_err(zmq_err("set identity"))?;
        }
        let linger = i32::try_from(LINGER.as_millis()).unwrap_or(i32::MAX);
        resp.set_linger(linger).map_err(zmq_err("set linger"))?;
        reqs.set_linger(0).map_err(zmq_err("set linger"))?;
        resp.connect(recv_spec)
            .map_err(zmq_err("connect recv_spec"))?;
        Ok(Connection {
            _ctx: ctx,
            reqs,
            resp,
            scratch: std::cell::RefCell::new(Vec::new()),
        })
    }

    /// Waits for the next message.
    pub fn recv(&self) -> Result<Incoming, Error> {
        let mut frame = zmq::Message::new();
        self.reqs.recv(&mut frame, 0).map_err(zmq_err("recv"))?;
        Ok(Incoming { frame })
    }

    /// Waits up to `timeout` for the next message.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<Incoming>, Error> {
        let ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
        let ready = self.reqs.poll(zmq::POLLIN, ms).map_err(zmq_err("poll"))?;
        if ready == 0 {
            return Ok(None);
        }
        self.recv().map(Some)
    }

    /// Sends raw `data` to the request's connection.
    pub fn reply(&self, req: &Request<'_>, data: &[u8]) -> Result<(), Error> {
        self.deliver(req.sender, &[req.conn_id], data)
    }

    /// Sends a complete HTTP response (status line, `headers`, a computed
    /// `Content-Length`, and `body`) to the request's connection.
    pub fn reply_http(
        &self,
        req: &Request<'_>,
        body: &[u8],
        code: u16,
        status: &str,
        headers: &[(&str, &str)],
    ) -> Result<(), Error> {
        self.reply(req, &http_response(body, code, status, headers))
    }

    /// Sends a WebSocket frame (unmasked, FIN set) to the request's connection.
    pub fn reply_websocket(
        &self,
        req: &Request<'_>,
        opcode: Opcode,
        payload: &[u8],
    ) -> Result<(), Error> {
        self.deliver_websocket(req.sender, &[req.conn_id], opcode, payload)
    }

    /// Sends raw `data` to every id in `ids` of server `uuid`, split into
    /// messages of at most [`MAX_IDENTS`] ids.
    pub fn deliver(&self, uuid: &[u8], ids: &[u64], data: &[u8]) -> Result<(), Error> {
        let mut frame = self.scratch.borrow_mut();
        for chunk in ids.chunks(MAX_IDENTS) {
            frame.clear();
            reply::encode(uuid, chunk, data, &mut frame);
            self.resp
                .send(&frame[..], 0)
                .map_err(zmq_err("send reply"))?;
        }
        Ok(())
    }

    /// Sends one HTTP response to every id in `ids`.
    pub fn deliver_http(
        &self,
        uuid: &[u8],
        ids: &[u64],
        body: &[u8],
        code: u16,
        status: &str,
        headers: &[(&str, &str)],
    ) -> Result<(), Error> {
        self.deliver(uuid, ids, &http_response(body, code, status, headers))
    }

    /// Sends one WebSocket frame to every id in `ids`.
    pub fn deliver_websocket(
        &self,
        uuid: &[u8],
        ids: &[u64],
        opcode: Opcode,
        payload: &[u8],
    ) -> Result<(), Error> {
        let mut frame = Vec::with_capacity(payload.len() + 10);
        websocket::encode_frame(true, opcode, payload, &mut frame)?;
        self.deliver(uuid, ids, &frame)
    }

    /// Closes the request's connection (an empty reply).
    pub fn close(&self, req: &Request<'_>) -> Result<(), Error> {
        self.deliver_close(req.sender, &[req.conn_id])
    }

    /// Closes every connection in `ids`.
    pub fn deliver_close(&self, uuid: &[u8], ids: &[u64]) -> Result<(), Error> {
        self.deliver(uuid, ids, b"")
    }
}

/// A complete HTTP/1.1 response as Mongrel2's Python library formats it:
/// status line, the given headers, `Content-Length`, blank line, body.
pub fn http_response(body: &[u8], code: u16, status: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 64 + headers.len() * 32);
    out.extend_from_slice(format!("HTTP/1.1 {code} {status}\r\n").as_bytes());
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// True when the request asks for the connection to be closed after the
/// response (HTTP/1.0 without keep-alive, or `Connection: close`), as the
/// Python library's `should_close()`.
pub fn should_close(req: &Request<'_>) -> bool {
    let header = |name: &[u8]| {
        req.headers
            .get(name)
            .map(|v| v.first().to_ascii_lowercase())
    };
    let connection = header(b"connection");
    if connection.as_deref() == Some(b"close".as_slice()) {
        return true;
    }
    header(b"VERSION").as_deref() == Some(b"http/1.0".as_slice())
        && connection.as_deref() != Some(b"keep-alive".as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_response_has_the_python_library_shape() {
        let r = http_response(
            b"hi",
            404,
            "Not Found",
            &[("X-A", "1"), ("Content-Length", "99")],
        );
        assert_eq!(
            r,
            b"HTTP/1.1 404 Not Found\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nhi".to_vec()
        );
    }

    #[test]
    fn replies_reach_a_server_socket_and_requests_come_back_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let send_spec = format!("ipc://{}/send", dir.path().display());
        let recv_spec = format!("ipc://{}/recv", dir.path().display());
        let ctx = zmq::Context::new();
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.bind(&send_spec).unwrap();
        let sub = ctx.socket(zmq::SUB).unwrap();
        sub.set_subscribe(b"").unwrap();
        sub.bind(&recv_spec).unwrap();
        let conn = Connection::connect(None, &send_spec, &recv_spec).unwrap();
        let frame = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/mongrel2-captures/json-01-simple-get/02-m2-to-handler.bin"
        ))
        .unwrap();
        push.send(&frame[..], 0).unwrap();
        let incoming = conn.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
        let req = incoming.request().unwrap();
        assert_eq!(req.path, b"/hello");
        // A PUB connected moments ago may lose messages until SUB's subscription
        // arrives (slow joiner): resend until one gets through, with a deadline.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            conn.reply(&req, b"pong").unwrap();
            if sub.poll(zmq::POLLIN, 20).unwrap() > 0 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "reply never arrived");
        }
        let got = sub.recv_bytes(0).unwrap();
        assert_eq!(
            got,
            b"34f9ceee-cd52-4b7f-b197-88bf2f0ec378 1:1, pong".to_vec()
        );
    }
}
