//! Issue 5 item 1: WebSockets and Mongrel2's JSON/XML sockets.
//!
//! `differential` sends the client bytes of the `json-07`/`tnet-07`/`json-07b` captures through
//! the real Mongrel2 and through Scale0, each with the same echo handler (`echo`), and checks that
//! both handlers receive the captured frames and both clients the captured answers. `limits`
//! shows Scale0's caps and idle timeout, `service` a native worker (`ws-echo-worker`) behind the
//! broker, `real_client` Debian's python3-websockets as the client, `debian_echo` Mongrel2's own
//! WebSocket example handler behind both servers, and `jssocket` the `@chat` JSON socket (`chat`:
//! Mongrel2's chat demo over it). `pyapp` runs Mongrel2's Python 2 examples on Python 3.

mod chat;
mod control;
mod debian_echo;
mod differential;
mod echo;
mod jssocket;
mod limits;
mod real_client;
mod service;

use std::time::Duration;

use scale0_tests::client::{find, Conn};
use scale0_tests::gateway::Gateway;
use scale0_tests::mongrel2::DEFAULT_SEND_IDENT;

/// Deadline for any one expected event (a response, a frame, EOF).
const EVENT: Duration = Duration::from_secs(5);
/// How long "nothing more happens" is watched for.
const QUIET: Duration = Duration::from_millis(400);

/// The bytes of a capture file.
fn capture(path: &str) -> Vec<u8> {
    let file = scale0_tests::repo_root()
        .join("fixtures/mongrel2-captures")
        .join(path);
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// A captured frame with SENDER and CONN_ID normalised, as the echo handler reports frames.
fn captured_frame(path: &str) -> String {
    echo::text(&scale0_tests::recorder::normalise(&capture(path)))
}

/// Extra lines for the gateway config's sections.
#[derive(Default, Clone, Copy)]
struct Extra<'a> {
    gateway: &'a str,
    listener: &'a str,
    defaults: &'a str,
    handler: &'a str,
}

/// A gateway config: routes `/` and `@chat` to a handler on `send`/`recv`, with `extra` lines in
/// the listener, `[defaults]` and the handler target.
fn handler_config(send: &str, recv: &str, protocol: &str, extra: Extra<'_>) -> String {
    let Extra {
        gateway,
        listener,
        defaults,
        handler,
    } = extra;
    format!(
        r#"[gateway]
sender_id = "{DEFAULT_SEND_IDENT}"
{gateway}

[[listener]]
bind = "127.0.0.1:0"
{listener}

[defaults]
{defaults}

[[host]]
name = "localhost"
default = true
  [[host.route]]
  path = "/"
  target = "app"
  [[host.route]]
  path = "@chat"
  target = "app"

[target.app]
type = "handler"
send_spec = "{send}"
recv_spec = "{recv}"
protocol = "{protocol}"
{handler}
"#
    )
}

/// A gateway with a handler target on ipc sockets in a temp dir: (gateway, send, recv, dir).
fn gateway(protocol: &str, extra: Extra<'_>) -> (Gateway, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| format!("ipc://{}/{name}", dir.path().display());
    let (send, recv) = (at("send"), at("recv"));
    let gateway = Gateway::start(&handler_config(&send, &recv, protocol, extra)).unwrap();
    (gateway, send, recv, dir)
}

/// Sends a handshake and reads the response head; returns it (lower-cased header names kept as
/// sent) after checking it is a 101 with the RFC's accept value for the captures' key.
fn open(conn: &mut Conn, handshake: &[u8]) -> String {
    conn.send(handshake).unwrap();
    let head = conn
        .read_until(EVENT, |b| find(b, b"\r\n\r\n").is_some())
        .unwrap();
    let head = String::from_utf8_lossy(&head).into_owned();
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    assert_eq!(
        header(&head, "sec-websocket-accept").as_deref(),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "{head}"
    );
    head
}

/// A header's value from a response head, by case-insensitive name.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

/// Reads exactly `want` from the client connection.
fn expect_bytes(conn: &mut Conn, want: &[u8], what: &str) {
    let got = conn.read_until(EVENT, |b| b.len() >= want.len()).unwrap();
    assert_eq!(echo::text(&got), echo::text(want), "{what}");
}
