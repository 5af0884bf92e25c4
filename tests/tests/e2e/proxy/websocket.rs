//! WebSocket pass-through: a real WebSocket client (Python `websockets`)
//! talks through the gateway's proxy target to a real WebSocket server; the
//! upgrade is forwarded, both sides switch, and frames flow both ways.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use scale0_tests::python::PYTHON;

use super::{gateway_to, WAIT};

/// The WebSocket echo server (`ws.py serve`), stopped when dropped.
pub struct EchoServer {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl EchoServer {
    /// Starts it and waits until it listens.
    pub fn start() -> EchoServer {
        let mut child = Command::new(PYTHON)
            .arg(script())
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _read = BufReader::new(stdout).read_line(&mut line);
            let _gone = tx.send(line);
        });
        let line = rx
            .recv_timeout(WAIT)
            .expect("the WebSocket server to listen");
        let port = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("unexpected first line {line:?} (python3-websockets installed?)")
            });
        EchoServer { child, port }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/proxy/ws.py")
}

#[test]
fn a_websocket_client_and_server_talk_through_the_proxy() {
    let server = EchoServer::start();
    let gateway = gateway_to(server.port);
    let out = Command::new(PYTHON)
        .arg(script())
        .arg("client")
        .arg(format!("ws://127.0.0.1:{}/chat", gateway.port()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "text hello");
    assert_eq!(lines[1], "binary 102400 True");
    let expected_headers = format!(
        r#"headers {{"host": "127.0.0.1:{}", "via": "1.1 scale0", "x-forwarded-for": "127.0.0.1"}}"#,
        gateway.port()
    );
    assert_eq!(lines[2], expected_headers);
    assert_eq!(lines[3], "closed");
}

#[test]
fn an_open_tunnel_counts_against_max_connections_until_it_closes() {
    use scale0_tests::client::{find, Conn};
    use scale0_tests::gateway::Gateway;

    let server = EchoServer::start();
    let toml = super::config(
        &format!("http://127.0.0.1:{}", server.port),
        "/",
        "",
        "",
        "",
    )
    .replace(
        "bind = \"127.0.0.1:0\"",
        "bind = \"127.0.0.1:0\"\nmax_connections = 1",
    );
    let gateway = Gateway::start(&toml).unwrap();
    let handshake = b"GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";
    let mut tunnel = Conn::connect(gateway.port()).unwrap();
    tunnel.send(handshake).unwrap();
    let head = tunnel
        .read_until(WAIT, |b| find(b, b"\r\n\r\n").is_some())
        .unwrap();
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    // The tunnel holds the only connection slot: the next client is refused.
    let mut other = Conn::connect(gateway.port()).unwrap();
    other
        .send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let refused = other.read_response(WAIT).unwrap();
    assert!(
        refused.starts_with(b"HTTP/1.1 503"),
        "{}",
        String::from_utf8_lossy(&refused)
    );
    // Once the tunnel closes, the slot is free again.
    drop(tunnel);
    let upgraded = scale0_tests::wait::until("the slot to come back", WAIT, || {
        let mut again = Conn::connect(gateway.port()).ok()?;
        again.send(handshake).ok()?;
        let head = again
            .read_until(WAIT, |b| find(b, b"\r\n\r\n").is_some())
            .ok()?;
        head.starts_with(b"HTTP/1.1 101").then_some(())
    });
    assert!(upgraded.is_ok(), "{upgraded:?}");
}
