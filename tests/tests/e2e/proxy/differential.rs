//! Side by side with Mongrel2's `Proxy(addr, port)`: the same requests to
//! the same kind of upstream get the same status and body from both; an
//! unreachable upstream is a 502 on both. The intended differences are
//! asserted too (docs/parity/proxy.md): Scale0 adds `Via` and rewrites
//! `X-Forwarded-For` where Mongrel2 forwards the raw bytes, and Scale0 pools
//! upstream connections where Mongrel2 opens one per client connection;
//! Mongrel2 drops a WebSocket handshake on a proxy route, Scale0 tunnels it.

use scale0_tests::client::Conn;
use scale0_tests::mongrel2::Mongrel2;
use scale0_tests::ports::free_port;
use scale0_tests::upstream::Upstream;

use super::websocket::EchoServer;
use super::{exchange, gateway_to, WAIT};

/// Requests both proxies must answer alike.
const SAME: [&[u8]; 5] = [
    b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n",
    b"POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nhello=world",
    b"PUT /doc/1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nbody",
    b"DELETE /doc/1 HTTP/1.0\r\nHost: localhost\r\n\r\n",
];

/// Mongrel2 and Scale0 each in front of an upstream of their own.
struct Pair {
    m2_upstream: Upstream,
    m2: Mongrel2,
    s0_upstream: Upstream,
    s0: scale0_tests::gateway::Gateway,
}

impl Pair {
    fn start() -> Pair {
        let m2_upstream = Upstream::start().unwrap();
        let m2 = Mongrel2::start_proxy(m2_upstream.port).unwrap();
        let s0_upstream = Upstream::start().unwrap();
        let s0 = gateway_to(s0_upstream.port);
        Pair {
            m2_upstream,
            m2,
            s0_upstream,
            s0,
        }
    }
}

#[test]
fn the_same_requests_get_the_same_status_and_body_from_both() {
    let pair = Pair::start();
    for request in SAME {
        let m2 = exchange(pair.m2.http_port, request);
        let s0 = exchange(pair.s0.port(), request);
        let shown = String::from_utf8_lossy(request);
        assert_eq!(m2.0, 200, "Mongrel2 on {shown}");
        assert_eq!(s0.0, m2.0, "status of {shown}");
        assert_eq!(
            String::from_utf8_lossy(&s0.2),
            String::from_utf8_lossy(&m2.2),
            "body of {shown}"
        );
    }
    let m2_seen = pair.m2_upstream.requests();
    let s0_seen = pair.s0_upstream.requests();
    let lines = |seen: &[scale0_tests::upstream::Seen]| {
        seen.iter()
            .map(|s| (s.method.clone(), s.target.clone(), s.body_len))
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&s0_seen), lines(&m2_seen));
}

#[test]
fn an_unreachable_upstream_is_a_502_on_both() {
    let nobody = free_port().unwrap();
    let m2 = Mongrel2::start_proxy(nobody).unwrap();
    let s0 = gateway_to(nobody);
    let request = b"GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let from_m2 = exchange(m2.http_port, request);
    let from_s0 = exchange(s0.port(), request);
    assert_eq!(from_m2.0, 502);
    assert_eq!(from_s0.0, 502);
    assert_eq!(from_m2.2, b"Bad Gateway", "Mongrel2's body");
    assert!(
        from_s0.2.starts_with(b"Bad Gateway"),
        "ours names whose fault it was"
    );
}

#[test]
fn intended_difference_scale0_adds_via_and_rewrites_x_forwarded_for() {
    let pair = Pair::start();
    let request = b"GET /who HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n";
    exchange(pair.m2.http_port, request);
    exchange(pair.s0.port(), request);
    let m2 = &pair.m2_upstream.requests()[0];
    let s0 = &pair.s0_upstream.requests()[0];
    assert_eq!(m2.header("via"), None);
    assert_eq!(
        m2.header("x-forwarded-for"),
        Some("6.6.6.6"),
        "Mongrel2 forwards the client's claim"
    );
    assert_eq!(s0.header("via"), Some("1.1 scale0"));
    assert_eq!(s0.header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(
        m2.header("host"),
        s0.header("host"),
        "both pass Host through"
    );
}

#[test]
fn intended_difference_scale0_pools_upstream_connections_across_clients() {
    let pair = Pair::start();
    for i in 0..3 {
        let request = format!("GET /c/{i} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        exchange(pair.m2.http_port, request.as_bytes());
        exchange(pair.s0.port(), request.as_bytes());
    }
    assert_eq!(
        pair.m2_upstream.connections(),
        3,
        "Mongrel2: one per client connection"
    );
    assert_eq!(
        pair.s0_upstream.connections(),
        1,
        "Scale0: one pooled connection"
    );
}

#[test]
fn intended_difference_mongrel2_drops_a_websocket_handshake_and_scale0_tunnels_it() {
    let server = EchoServer::start();
    let m2 = Mongrel2::start_proxy(server.port).unwrap();
    let s0 = gateway_to(server.port);
    let handshake =
        b"GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let mut conn = Conn::connect(m2.http_port).unwrap();
    conn.send(handshake).unwrap();
    let answer = conn.read_to_eof(WAIT).unwrap();
    assert!(
        answer.is_empty(),
        "Mongrel2 closes without an answer: {answer:?}"
    );
    let mut conn = Conn::connect(s0.port()).unwrap();
    conn.send(handshake).unwrap();
    let head = conn
        .read_until(WAIT, |b| {
            scale0_tests::client::find(b, b"\r\n\r\n").is_some()
        })
        .unwrap();
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
}
