//! Disconnect notices: a client leaving after its reply, and a reply to a
//! client that already left; JSON and tnetstring.

use mongrel2_compat::request::{self, key};
use scale0_tests::client::Conn;
use scale0_tests::mongrel2::{recv_within, Mongrel2, Options};

use super::{exchange, fixture, next_request, values, with_conn_id, with_hello, DEADLINE};

fn client_leaving_sends_a_disconnect_notice(protocol: &str) {
    let (m2, mut handler) = with_hello(protocol);
    let mut client = Conn::connect(m2.http_port).unwrap();
    exchange(
        &mut client,
        b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    let id = request::decode(&next_request(&mut handler, "the GET"))
        .unwrap()
        .conn_id;
    drop(client);
    let frame = handler
        .next_frame(DEADLINE, "the disconnect notice")
        .unwrap();
    let notice = request::decode(&frame).unwrap();
    assert!(notice.is_notice());
    assert_eq!(
        (notice.conn_id, notice.path, notice.body),
        (id, &b"@*"[..], &br#"{"type":"disconnect"}"#[..])
    );
    assert_eq!(
        (notice.headers.len(), values(&notice, key::METHOD)),
        (1, vec!["JSON"])
    );
    let captured = match protocol {
        "json" => fixture("json-01-simple-get/05-m2-to-handler-after-client-close.bin"),
        _ => fixture("tnet-03-post-small-body/09-m2-to-handler-after-client-close.bin"),
    };
    assert_eq!(with_conn_id(&captured, id), frame);
    let mut encoded = Vec::new();
    request::encode_disconnect(notice.sender, id, notice.protocol, &mut encoded);
    assert_eq!(encoded, frame, "our encoder writes what Mongrel2 sends");
}

#[test]
fn client_leaving_sends_a_disconnect_notice_json() {
    client_leaving_sends_a_disconnect_notice("json");
}

#[test]
fn client_leaving_sends_a_disconnect_notice_tnetstring() {
    client_leaving_sends_a_disconnect_notice("tnetstring");
}

#[test]
fn reply_after_the_client_left_gets_another_notice() {
    let m2 = Mongrel2::start(Options::default()).unwrap();
    let conn = m2.connect_handler().unwrap();
    let mut client = Conn::connect(m2.http_port).unwrap();
    client
        .send(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let incoming = recv_within(&conn, DEADLINE, "the GET /slow").unwrap();
    let req = incoming.request().unwrap();
    drop(client);
    let notice_for = |what: &str| {
        let incoming = recv_within(&conn, DEADLINE, what).unwrap();
        let notice = incoming.request().unwrap();
        assert!(
            notice.is_notice() && notice.conn_id == req.conn_id,
            "{what}: {notice:?}"
        );
        assert_eq!(notice.body, br#"{"type":"disconnect"}"#);
    };
    notice_for("the notice of the client leaving");
    conn.reply_http(&req, b"too late\n", 200, "OK", &[])
        .unwrap();
    notice_for("the notice answering a reply to a gone client");
}
