//! The handler's fault or absence: the client always gets an answer within
//! the route's deadlines (503, 504, 502, or a cut stream), never a hang, and
//! the gateway goes on serving everyone else.

use std::time::Instant;

use scale0_tests::client::{split_response, Conn};

use super::{gateway, header, Rig, REPLY_TIMEOUT, SLACK, WAIT};

#[test]
fn no_handler_connected_is_a_503_with_retry_after_within_the_reply_deadline() {
    let (gateway, _dir) = gateway(
        "reply_timeout = \"300ms\"\nretry_after = \"2s\"",
        "",
        &["/"],
    );
    let mut client = Conn::connect(gateway.port()).unwrap();
    let start = Instant::now();
    client
        .send(b"GET /nobody HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let response = client.read_response(REPLY_TIMEOUT + SLACK).unwrap();
    let elapsed = start.elapsed();
    let (status, headers, body) = split_response(&response).unwrap();
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&response));
    assert_eq!(header(&headers, "retry-after"), Some("2"));
    assert_eq!(header(&headers, "content-type"), Some("text/plain"));
    assert_eq!(
        String::from_utf8_lossy(&body),
        "Service Unavailable: no handler took the request in time\n"
    );
    assert!(
        elapsed < REPLY_TIMEOUT + SLACK,
        "answered after {elapsed:?}"
    );
}

#[test]
fn handler_that_never_answers_is_a_504_and_then_gets_a_disconnect_notice() {
    let rig = Rig::start("reply_timeout = \"300ms\"");
    let start = Instant::now();
    let (mut client, incoming) = rig.get("/silent");
    let conn_id = incoming.request().unwrap().conn_id;
    let response = client.read_response(REPLY_TIMEOUT + SLACK).unwrap();
    let elapsed = start.elapsed();
    let (status, headers, body) = split_response(&response).unwrap();
    assert_eq!(status, 504, "{}", String::from_utf8_lossy(&response));
    assert_eq!(header(&headers, "content-type"), Some("text/plain"));
    assert_eq!(
        String::from_utf8_lossy(&body),
        "Gateway Timeout: the handler did not answer in time\n"
    );
    assert!(
        elapsed >= REPLY_TIMEOUT,
        "504 before the deadline: {elapsed:?}"
    );
    // A late reply could not be told apart from the next response: the
    // connection ends (and the response says so), and the handler is told.
    assert_eq!(header(&headers, "connection"), Some("close"));
    assert!(client.closed_within(SLACK).unwrap(), "connection left open");
    rig.expect_disconnect(conn_id);
}

#[test]
fn reply_that_is_not_http_is_a_502_and_other_connections_are_still_served() {
    let rig = Rig::start("reply_timeout = \"300ms\"");
    let (mut client, incoming) = rig.get("/garbage");
    let request = incoming.request().unwrap();
    rig.handler
        .reply(&request, b"THIS IS NOT HTTP\r\n\r\n")
        .unwrap();
    let response = client.read_response(WAIT).unwrap();
    let (status, headers, body) = split_response(&response).unwrap();
    assert_eq!(status, 502, "{}", String::from_utf8_lossy(&response));
    assert_eq!(header(&headers, "content-type"), Some("text/plain"));
    assert_eq!(
        String::from_utf8_lossy(&body),
        "Bad Gateway: the handler sent an invalid response\n"
    );
    // The reply stream for this connection is lost: it ends, and says so.
    assert_eq!(header(&headers, "connection"), Some("close"));
    assert!(client.closed_within(SLACK).unwrap(), "connection left open");
    rig.expect_disconnect(request.conn_id);

    let (mut next, incoming) = rig.get("/after");
    let request = incoming.request().unwrap();
    rig.handler
        .reply_http(&request, b"still here\n", 200, "OK", &[])
        .unwrap();
    let response = next.read_response(WAIT).unwrap();
    let (status, _, body) = split_response(&response).unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, b"still here\n");
}

#[test]
fn streamed_reply_that_stops_mid_body_is_cut_after_idle_timeout() {
    let rig = Rig::start("reply_timeout = \"300ms\"\nidle_timeout = \"300ms\"");
    let idle = REPLY_TIMEOUT;
    let (mut client, incoming) = rig.get("/stream");
    let request = incoming.request().unwrap();
    rig.handler
        .reply(
            &request,
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nfirst part",
        )
        .unwrap();
    let start = Instant::now();
    let got = client.read_to_eof(idle + SLACK).unwrap();
    let elapsed = start.elapsed();
    let (status, headers, body) = split_response(&got).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&got));
    assert_eq!(header(&headers, "content-length"), Some("100"));
    assert_eq!(
        body, b"first part",
        "the client sees a short body, then EOF"
    );
    assert!(elapsed >= idle / 2, "cut after only {elapsed:?}");
    rig.expect_disconnect(request.conn_id);
}
