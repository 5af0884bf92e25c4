//! Who ends a connection, and who is told: the handler gets a disconnect
//! notice whenever a connection it may still write to goes away without its
//! asking (client left, unknown id), and none when it closed the connection
//! itself, as with Mongrel2 (captures json-06, json-09b, json-09c).

use mongrel2_compat::handler::http_response;
use scale0_tests::client::{find, response_len, split_response};
use scale0_tests::mongrel2::DEFAULT_SEND_IDENT;

use super::{header, Rig, SLACK, WAIT};

const PLAIN: [(&str, &str); 1] = [("Content-Type", "text/plain")];

#[test]
fn reply_for_an_unknown_conn_id_gets_a_disconnect_notice() {
    let rig = Rig::start("reply_timeout = \"300ms\"");
    let unknown = 987_654;
    rig.handler
        .deliver(
            DEFAULT_SEND_IDENT.as_bytes(),
            &[unknown],
            &http_response(b"lost\n", 200, "OK", &PLAIN),
        )
        .unwrap();
    rig.expect_disconnect(unknown);
}

#[test]
fn client_closing_before_the_reply_gets_the_handler_a_disconnect_notice() {
    // A reply deadline far beyond WAIT: the notice must come from the close.
    let rig = Rig::start("reply_timeout = \"60s\"");
    let (client, incoming) = rig.get("/leaving");
    let request = incoming.request().unwrap();
    drop(client);
    rig.expect_disconnect(request.conn_id);
    // A reply written anyway finds no connection: another notice, as Mongrel2.
    rig.handler
        .reply_http(&request, b"too late\n", 200, "OK", &PLAIN)
        .unwrap();
    rig.expect_disconnect(request.conn_id);
}

#[test]
fn handler_closing_after_its_reply_closes_the_client_without_a_notice() {
    let rig = Rig::start("reply_timeout = \"300ms\"");
    let (mut client, incoming) = rig.get("/bye");
    let request = incoming.request().unwrap();
    rig.handler
        .reply_http(&request, b"bye\n", 200, "OK", &PLAIN)
        .unwrap();
    rig.handler.close(&request).unwrap();
    let response = client.read_response(WAIT).unwrap();
    let (status, _, body) = split_response(&response).unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, b"bye\n");
    assert!(client.closed_within(SLACK).unwrap(), "connection left open");
    // Whatever the gateway sent about that id came before the next request.
    assert_no_notice_for(&rig, request.conn_id);
}

#[test]
fn handler_closing_ends_a_reply_framed_by_close_with_its_whole_body() {
    let rig = Rig::start("reply_timeout = \"300ms\"");
    let (mut client, incoming) = rig.get("/until-close");
    let request = incoming.request().unwrap();
    // No Content-Length: the body runs until the handler closes (the usual
    // way a Mongrel2 handler streams), sent in quick succession.
    for part in [
        &b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"[..],
        b"part one\n",
        b"part two\n",
    ] {
        rig.handler.reply(&request, part).unwrap();
    }
    rig.handler.close(&request).unwrap();
    let got = client.read_to_eof(WAIT).unwrap();
    assert!(
        response_len(&got).is_some(),
        "the response was cut short: {}",
        String::from_utf8_lossy(&got)
    );
    let (status, headers, body) = split_response(&got).unwrap();
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "transfer-encoding"), Some("chunked"));
    assert_eq!(
        String::from_utf8_lossy(&dechunk(&body)),
        "part one\npart two\n"
    );
    assert_no_notice_for(&rig, request.conn_id);
}

#[test]
fn handler_closing_before_any_reply_ends_the_client_with_a_502_and_no_notice() {
    let rig = Rig::start("reply_timeout = \"300ms\"");
    let (mut client, incoming) = rig.get("/nothing");
    let request = incoming.request().unwrap();
    rig.handler.close(&request).unwrap();
    let got = client.read_to_eof(WAIT).unwrap();
    let (status, headers, body) = split_response(&got).unwrap();
    assert_eq!(status, 502, "{}", String::from_utf8_lossy(&got));
    assert_eq!(header(&headers, "connection"), Some("close"));
    assert_eq!(
        String::from_utf8_lossy(&body),
        "Bad Gateway: the handler went away\n"
    );
    assert_no_notice_for(&rig, request.conn_id);
}

#[test]
fn one_reply_to_two_conn_ids_reaches_both_clients() {
    let rig = Rig::start("reply_timeout = \"300ms\"");
    let (mut first, a) = rig.get("/a");
    let (mut second, b) = rig.get("/b");
    let ids = [a.request().unwrap().conn_id, b.request().unwrap().conn_id];
    rig.handler
        .deliver_http(
            DEFAULT_SEND_IDENT.as_bytes(),
            &ids,
            b"to both\n",
            200,
            "OK",
            &PLAIN,
        )
        .unwrap();
    for client in [&mut first, &mut second] {
        let response = client.read_response(WAIT).unwrap();
        let (status, headers, body) = split_response(&response).unwrap();
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), Some("text/plain"));
        assert_eq!(body, b"to both\n");
    }
    // One empty message closes both.
    rig.handler
        .deliver_close(DEFAULT_SEND_IDENT.as_bytes(), &ids)
        .unwrap();
    assert!(first.closed_within(SLACK).unwrap());
    assert!(second.closed_within(SLACK).unwrap());
}

/// Sends the next request and checks that no disconnect notice for `closed`
/// reached the handler before it (the gateway sends in order).
fn assert_no_notice_for(rig: &Rig, closed: u64) {
    let mut next = rig.send_get("/next");
    let (incoming, notices) = rig.next_request();
    assert!(
        !notices.contains(&closed),
        "the handler closed conn {closed} itself, yet got a disconnect notice for it"
    );
    let request = incoming.request().unwrap();
    rig.handler
        .reply_http(&request, b"ok\n", 200, "OK", &PLAIN)
        .unwrap();
    let response = next.read_response(WAIT).unwrap();
    assert_eq!(split_response(&response).unwrap().0, 200);
}

/// The payload of a complete chunked body (no extensions, no trailers).
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    loop {
        let line_end = find(body, b"\r\n").expect("chunk size line");
        let size = std::str::from_utf8(&body[..line_end]).unwrap();
        let size = usize::from_str_radix(size, 16).unwrap();
        body = &body[line_end + 2..];
        if size == 0 {
            assert_eq!(body, b"\r\n", "nothing after the last chunk");
            return payload;
        }
        payload.extend_from_slice(&body[..size]);
        assert_eq!(&body[size..size + 2], b"\r\n");
        body = &body[size + 2..];
    }
}
