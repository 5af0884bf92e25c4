//! Real nginx in front of the gateway, as operators deploy it: the handler
//! sees the real client's address when nginx is a trusted proxy (and nginx's
//! own address when it is not), and keep-alive upstream connections serve
//! request after request.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mongrel2_compat::handler::Connection;
use scale0_tests::client::{split_response, Conn};
use scale0_tests::gateway::Gateway;
use scale0_tests::mongrel2::DEFAULT_SEND_IDENT;
use scale0_tests::nginx::{Nginx, UPSTREAM_KEEPALIVE};

/// How long one request may take end to end.
const WAIT: Duration = Duration::from_secs(10);
/// How long the handler may take to get its first reply through.
const READY: Duration = Duration::from_secs(20);
/// The address a remote client behind nginx claims (TEST-NET-3).
const REMOTE_CLIENT: &str = "203.0.113.7";

/// nginx → gateway → the example hello handler (on its own thread).
struct Front {
    nginx: Nginx,
    _gateway: Gateway,
    stop: Arc<AtomicBool>,
    handler: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Front {
    /// Starts the three; `trusted_proxies` is the TOML list for `[gateway]`.
    fn start(trusted_proxies: &str) -> Front {
        let dir = tempfile::tempdir().unwrap();
        let send = format!("ipc://{}/send", dir.path().display());
        let recv = format!("ipc://{}/recv", dir.path().display());
        let gateway = Gateway::start(&config(trusted_proxies, &send, &recv)).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let handler = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let conn = Connection::connect(None, &send, &recv).unwrap();
                scale0_workers_examples::hello::serve(&conn, &stop).unwrap();
            })
        };
        // Replies are lost until the gateway's subscription reaches the
        // handler (ZeroMQ's slow joiner): probe the gateway directly first.
        let start = Instant::now();
        while get(gateway.port(), "/probe", "").0 != 200 {
            assert!(start.elapsed() < READY, "handler not ready");
        }
        let nginx = Nginx::start(gateway.port()).unwrap();
        Front {
            nginx,
            _gateway: gateway,
            stop,
            handler: Some(handler),
            _dir: dir,
        }
    }

    /// Status and body of `GET path` sent to nginx with `extra` header lines.
    fn get(&self, path: &str, extra: &str) -> (u16, String) {
        let (status, body) = get(self.nginx.port, path, extra);
        assert_eq!(status, 200, "{body}\n{}", self.nginx.logs());
        (status, body)
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handler) = self.handler.take() {
            let _panicked_already_reported = handler.join();
        }
    }
}

fn config(trusted_proxies: &str, send: &str, recv: &str) -> String {
    format!(
        r#"[gateway]
sender_id = "{DEFAULT_SEND_IDENT}"
trusted_proxies = {trusted_proxies}
shutdown_grace = "1s"

[[listener]]
bind = "127.0.0.1:0"

[defaults]
reply_timeout = "1s"

[[host]]
name = "localhost"
route = [{{ path = "/", target = "app" }}]

[target.app]
type = "handler"
send_spec = "{send}"
recv_spec = "{recv}"
"#
    )
}

/// One `GET path` on a new connection to `port`: status and body text.
fn get(port: u16, path: &str, extra: &str) -> (u16, String) {
    let mut client = Conn::connect(port).unwrap();
    client
        .send(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n").as_bytes())
        .unwrap();
    let response = client.read_response(WAIT).unwrap();
    let (status, _, body) = split_response(&response).unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn assert_line(body: &str, line: &str) {
    assert!(
        body.lines().any(|l| l == line),
        "no line {line:?} in:\n{body}"
    );
}

#[test]
fn behind_trusted_nginx_the_handler_sees_the_forwarded_client() {
    let front = Front::start(r#"["127.0.0.1/32"]"#);
    let claim = format!("X-Forwarded-For: {REMOTE_CLIENT}\r\n");
    let (_, body) = front.get("/whoami", &claim);
    assert_line(&body, &format!("REMOTE_ADDR: {REMOTE_CLIENT}"));
    assert_line(
        &body,
        &format!("x-forwarded-for: {REMOTE_CLIENT}, 127.0.0.1"),
    );
}

#[test]
fn behind_untrusted_nginx_the_handler_sees_nginx() {
    let front = Front::start("[]");
    let claim = format!("X-Forwarded-For: {REMOTE_CLIENT}\r\n");
    let (_, body) = front.get("/whoami", &claim);
    assert_line(&body, "REMOTE_ADDR: 127.0.0.1");
    // As Mongrel2: an untrusted peer's forwarded-for is replaced by the peer.
    assert_line(&body, "x-forwarded-for: 127.0.0.1");
}

#[test]
fn keep_alive_upstream_serves_200_requests_over_few_connections() {
    let front = Front::start(r#"["127.0.0.1/32"]"#);
    let mut client = Conn::connect(front.nginx.port).unwrap();
    let mut conn_ids = HashSet::new();
    for i in 0..200 {
        client
            .send(format!("GET /n/{i} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .unwrap();
        let response = client.read_response(WAIT).unwrap();
        let (status, _, body) = split_response(&response).unwrap();
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 200, "request {i}: {body}\n{}", front.nginx.logs());
        let line = body
            .lines()
            .find(|l| l.starts_with(&format!("GET /n/{i} (conn ")))
            .unwrap_or_else(|| panic!("request {i} answered for another request:\n{body}"));
        conn_ids.insert(line.split("(conn ").nth(1).map(str::to_owned));
    }
    assert!(
        conn_ids.len() <= UPSTREAM_KEEPALIVE,
        "nginx opened {} upstream connections for 200 sequential requests",
        conn_ids.len()
    );
}
