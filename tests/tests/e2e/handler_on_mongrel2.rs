//! Issue 2: Rust handlers serve a real Mongrel2. Debian's Mongrel2 1.12 runs on
//! loopback; the example handler (`hello::answer`, in a recording thread) or,
//! where a story needs exact control, a test-local `handler::Connection`
//! answers. Each story checks what the client got and what the handler saw,
//! the latter byte for byte against the captures where one exists (modulo the
//! conn id, which depends on how many connections came before).

mod notices;
mod replies;
mod requests;

use std::time::Duration;

use mongrel2_compat::request::{self, Request};
use scale0_tests::client::Conn;
use scale0_tests::mongrel2::{Mongrel2, Options, RecordingHandler};
use scale0_workers_examples::hello;

/// Longest wait for any one event (a response, a frame, an EOF).
const DEADLINE: Duration = Duration::from_secs(10);
/// The `Content-Type` the example handler answers with.
const PLAIN: (&str, &str) = ("Content-Type", "text/plain; charset=utf-8");

/// Mongrel2 in `protocol` with the example handler attached and ready.
fn with_hello(protocol: &str) -> (Mongrel2, RecordingHandler) {
    let m2 = Mongrel2::start(Options {
        protocol: protocol.into(),
        ..Options::default()
    })
    .unwrap();
    let handler = RecordingHandler::start(&m2, hello::answer).unwrap();
    (m2, handler)
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        scale0_tests::repo_root()
            .join("fixtures/mongrel2-captures")
            .join(path),
    )
    .unwrap()
}

/// `frame` with its CONN_ID field (the second, space-separated) set to `id`.
fn with_conn_id(frame: &[u8], id: u64) -> Vec<u8> {
    let mut fields = frame.splitn(3, |&b| b == b' ');
    let (sender, rest) = (fields.next().unwrap(), fields.nth(1).unwrap());
    [sender, format!(" {id} ").as_bytes(), rest].concat()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// The values of header `name` as the handler saw it.
fn values<'r>(req: &'r Request<'_>, name: &[u8]) -> Vec<&'r str> {
    let value = req.headers.get(name);
    let value = value.unwrap_or_else(|| panic!("no {:?} key in {req:?}", text(name)));
    value.values().map(text).collect()
}

/// Sends `bytes` and reads one response.
fn exchange(client: &mut Conn, bytes: &[u8]) -> Vec<u8> {
    client.send(bytes).unwrap();
    client.read_response(DEADLINE).unwrap()
}

/// The handler's next frame must be a request; returns its bytes.
fn next_request(handler: &mut RecordingHandler, what: &str) -> Vec<u8> {
    let frame = handler.next_frame(DEADLINE, what).unwrap();
    assert!(
        !request::decode(&frame).unwrap().is_notice(),
        "{what}: {:?}",
        String::from_utf8_lossy(&frame)
    );
    frame
}
