//! Bodies are streamed, not buffered: the upstream receives the first bytes
//! of a 50 MiB upload before the client has sent the rest, and the client
//! receives the first bytes of a 50 MiB download before the upstream has
//! sent the rest. `max_body_bytes` holds on the stream, `idle_timeout` on
//! both bodies.

use scale0_tests::client::{find, split_response, Conn};
use scale0_tests::gateway::Gateway;
use scale0_tests::upstream::{Upstream, GATE_BYTES};
use scale0_tests::wait;

use super::{config, exchange, gateway_to, WAIT};

/// The size of the large bodies.
const LARGE: usize = 50 * 1024 * 1024;
/// What the client sends before it waits for the upstream to see bytes.
const FIRST_PART: usize = 1024 * 1024;

#[test]
fn a_50_mib_upload_reaches_the_upstream_while_the_client_is_still_sending() {
    let upstream = Upstream::start().unwrap();
    let url = format!("http://127.0.0.1:{}", upstream.port);
    let gateway =
        Gateway::start(&config(&url, "/", "", r#"max_body_bytes = "64MiB""#, "")).unwrap();
    let mut conn = Conn::connect(gateway.port()).unwrap();
    let head =
        format!("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: {LARGE}\r\n\r\n");
    conn.send(head.as_bytes()).unwrap();
    let chunk = vec![b'u'; FIRST_PART];
    conn.send(&chunk).unwrap();
    wait::until("the upstream to receive the first part", WAIT, || {
        (upstream.body_bytes() > 0).then_some(())
    })
    .unwrap();
    for _ in 1..LARGE / FIRST_PART {
        conn.send(&chunk).unwrap();
    }
    let got = split_response(&conn.read_response(WAIT).unwrap()).unwrap();
    assert_eq!(got.0, 200);
    assert_eq!(
        got.2,
        format!("POST /upload\n{LARGE} body bytes\n").as_bytes()
    );
}

#[test]
fn a_50_mib_download_reaches_the_client_while_the_upstream_is_still_sending() {
    let upstream = Upstream::start().unwrap();
    let gateway = gateway_to(upstream.port);
    let mut conn = Conn::connect(gateway.port()).unwrap();
    let request = format!("GET /gated/{LARGE} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    conn.send(request.as_bytes()).unwrap();
    let first = conn
        .read_until(WAIT, |b| {
            find(b, b"\r\n\r\n").is_some_and(|end| b.len() >= end + 4 + GATE_BYTES)
        })
        .unwrap();
    upstream.release();
    let mut rest = conn
        .read_until(WAIT, |b| {
            let so_far = first.len() + b.len();
            find(&first, b"\r\n\r\n").is_some_and(|end| so_far >= end + 4 + LARGE)
        })
        .unwrap();
    let mut all = first;
    all.append(&mut rest);
    let got = split_response(&all).unwrap();
    assert_eq!(got.0, 200);
    assert_eq!(got.2.len(), LARGE);
    assert!(got.2.iter().all(|&b| b == b'x'));
}

#[test]
fn a_declared_body_over_max_body_bytes_is_refused_before_the_upstream_sees_it() {
    let upstream = Upstream::start().unwrap();
    let url = format!("http://127.0.0.1:{}", upstream.port);
    let gateway = Gateway::start(&config(&url, "/", "", "max_body_bytes = 10", "")).unwrap();
    let got = exchange(
        gateway.port(),
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\nhello world",
    );
    assert_eq!(got.0, 413);
    assert!(got.2.starts_with(b"Payload Too Large"));
    assert!(upstream.requests().is_empty());
    assert_eq!(upstream.connections(), 0);
}

#[test]
fn a_chunked_body_growing_past_max_body_bytes_is_cut_mid_stream() {
    let upstream = Upstream::start().unwrap();
    let url = format!("http://127.0.0.1:{}", upstream.port);
    let gateway = Gateway::start(&config(&url, "/", "", "max_body_bytes = 10", "")).unwrap();
    let got = exchange(
        gateway.port(),
        b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n6\r\nworld!\r\n0\r\n\r\n",
    );
    assert_eq!(got.0, 413);
    assert!(
        upstream.requests().is_empty(),
        "the upstream never got a complete request"
    );
}

#[test]
fn an_upstream_stalling_mid_body_aborts_the_response_after_the_idle_timeout() {
    let upstream = Upstream::start().unwrap();
    let url = format!("http://127.0.0.1:{}", upstream.port);
    let gateway = Gateway::start(&config(&url, "/", "", r#"idle_timeout = "300ms""#, "")).unwrap();
    let mut conn = Conn::connect(gateway.port()).unwrap();
    let total = 4 * GATE_BYTES;
    let request = format!("GET /gated/{total} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    conn.send(request.as_bytes()).unwrap();
    let got = conn.read_to_eof(WAIT).unwrap();
    let head_end = find(&got, b"\r\n\r\n").unwrap() + 4;
    assert!(got.starts_with(b"HTTP/1.1 200"));
    assert!(
        got.len() - head_end < total,
        "the client sees a cut response, not a complete one"
    );
}

#[test]
fn a_client_stalling_mid_upload_gets_408_after_the_idle_timeout() {
    let upstream = Upstream::start().unwrap();
    let url = format!("http://127.0.0.1:{}", upstream.port);
    let gateway = Gateway::start(&config(&url, "/", "", r#"idle_timeout = "300ms""#, "")).unwrap();
    let got = exchange(
        gateway.port(),
        b"POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly ten b",
    );
    assert_eq!(got.0, 408);
    assert!(
        upstream.requests().is_empty(),
        "the upstream never got a complete request"
    );
}
