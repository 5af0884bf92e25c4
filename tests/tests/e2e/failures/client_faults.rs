//! The client's fault: the gateway answers at once with a 4xx (or a polite
//! 503 at the connection limit) and closes the connection; no handler is
//! needed, none is asked.

use std::time::{Duration, Instant};

use scale0_tests::client::{split_response, Conn};
use scale0_tests::wait;

use super::{gateway, header, SLACK, WAIT};

/// Reads one response and checks it is `status` with the gateway's plain-text
/// `body` and `Connection: close`, then that the connection closes.
fn assert_refused(client: &mut Conn, status: u16, body: &str) {
    let response = client.read_response(WAIT).unwrap();
    let (got, headers, got_body) = split_response(&response).unwrap();
    assert_eq!(got, status, "{}", String::from_utf8_lossy(&response));
    assert_eq!(String::from_utf8_lossy(&got_body), body);
    assert_eq!(header(&headers, "content-type"), Some("text/plain"));
    assert_eq!(header(&headers, "connection"), Some("close"));
    assert!(client.closed_within(SLACK).unwrap(), "connection left open");
}

/// Reads hyper's automatic answer to an unparsable head: `status`, no body,
/// then the connection closes.
fn assert_head_refused(client: &mut Conn, status: u16) {
    let response = client.read_response(WAIT).unwrap();
    let (got, headers, body) = split_response(&response).unwrap();
    assert_eq!(got, status, "{}", String::from_utf8_lossy(&response));
    assert_eq!(header(&headers, "content-length"), Some("0"));
    assert!(body.is_empty());
    assert!(client.closed_within(SLACK).unwrap(), "connection left open");
}

#[test]
fn path_outside_every_route_is_a_404() {
    let (gateway, _dir) = gateway("", "", &["/app"]);
    let mut client = Conn::connect(gateway.port()).unwrap();
    client
        .send(b"GET /other/page HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert_refused(&mut client, 404, "Not Found\n");
}

#[test]
fn malformed_request_line_is_a_400() {
    let (gateway, _dir) = gateway("", "", &["/"]);
    let mut client = Conn::connect(gateway.port()).unwrap();
    client
        .send(b"GET /has space HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert_head_refused(&mut client, 400);
}

#[test]
fn header_block_over_max_header_bytes_is_a_431() {
    let (gateway, _dir) = gateway("", "max_header_bytes = 8192", &["/"]);
    let mut client = Conn::connect(gateway.port()).unwrap();
    let big = "a".repeat(10_000);
    client
        .send(format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\n\r\n").as_bytes())
        .unwrap();
    assert_head_refused(&mut client, 431);
}

#[test]
fn more_headers_than_max_headers_is_a_431() {
    let (gateway, _dir) = gateway("", "max_headers = 4", &["/"]);
    let mut client = Conn::connect(gateway.port()).unwrap();
    let extra: String = (1..=6).map(|i| format!("X-Field-{i}: {i}\r\n")).collect();
    client
        .send(format!("GET / HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n").as_bytes())
        .unwrap();
    assert_head_refused(&mut client, 431);
}

#[test]
fn declared_body_over_inline_body_bytes_is_a_413_before_it_is_sent() {
    let (gateway, _dir) = gateway("inline_body_bytes = 1024", "", &["/"]);
    let mut client = Conn::connect(gateway.port()).unwrap();
    // Only the head: the answer must not wait for a body it refuses.
    client
        .send(b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000\r\n\r\n")
        .unwrap();
    assert_refused(
        &mut client,
        413,
        "Payload Too Large: the body exceeds 1024 bytes\n",
    );
}

#[test]
fn chunked_body_growing_over_inline_body_bytes_is_a_413() {
    let (gateway, _dir) = gateway("inline_body_bytes = 1024", "", &["/"]);
    let mut client = Conn::connect(gateway.port()).unwrap();
    let chunk = "x".repeat(2000);
    client
        .send(
            format!(
                "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n\
                 {:x}\r\n{chunk}\r\n",
                chunk.len()
            )
            .as_bytes(),
        )
        .unwrap();
    assert_refused(
        &mut client,
        413,
        "Payload Too Large: the body exceeds 1024 bytes\n",
    );
}

#[test]
fn connections_over_max_connections_get_a_polite_503_and_are_closed() {
    let (gateway, _dir) = gateway("", "max_connections = 2", &["/app"]);
    let first = Conn::connect(gateway.port()).unwrap();
    let _second = Conn::connect(gateway.port()).unwrap();
    let mut third = Conn::connect(gateway.port()).unwrap();
    let response = third.read_response(WAIT).unwrap();
    let (status, headers, body) = split_response(&response).unwrap();
    assert_eq!(status, 503);
    assert_eq!(header(&headers, "retry-after"), Some("1"));
    assert_eq!(header(&headers, "connection"), Some("close"));
    assert_eq!(
        String::from_utf8_lossy(&body),
        "Service Unavailable: too many connections\n"
    );
    assert!(third.closed_within(SLACK).unwrap());
    // A slot freed is a slot served (a 404 here: the only route is /app).
    drop(first);
    wait::until("a freed connection slot", WAIT, || {
        let mut next = Conn::connect(gateway.port()).ok()?;
        next.send(b"GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .ok()?;
        let response = next.read_response(WAIT).ok()?;
        (split_response(&response).ok()?.0 == 404).then_some(())
    })
    .unwrap();
}

#[test]
fn client_sending_half_a_head_is_cut_after_header_read_timeout() {
    let timeout = Duration::from_millis(300);
    let listener = "header_read_timeout = \"300ms\"\nkeepalive_timeout = \"60s\"";
    let (gateway, _dir) = gateway("", listener, &["/"]);
    let mut client = Conn::connect(gateway.port()).unwrap();
    let start = Instant::now();
    client.send(b"GET /slow HTTP/1.1\r\nHost: loc").unwrap();
    let got = client.read_to_eof(timeout + SLACK).unwrap();
    let elapsed = start.elapsed();
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    assert!(elapsed >= timeout / 2, "cut too early, after {elapsed:?}");
}

#[test]
fn client_sending_nothing_is_cut_after_keepalive_timeout() {
    let timeout = Duration::from_millis(300);
    let listener = "keepalive_timeout = \"300ms\"\nheader_read_timeout = \"60s\"";
    let (gateway, _dir) = gateway("", listener, &["/"]);
    let mut client = Conn::connect(gateway.port()).unwrap();
    let start = Instant::now();
    let got = client.read_to_eof(timeout + SLACK).unwrap();
    let elapsed = start.elapsed();
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    assert!(elapsed >= timeout / 2, "cut too early, after {elapsed:?}");
}
