//! Replies the handler addresses: one message to two conn ids, the example
//! handler's broadcast route, and the empty-body close.

use mongrel2_compat::handler::http_response;
use mongrel2_compat::request;
use scale0_tests::client::{response_len, Conn};
use scale0_tests::mongrel2::{recv_within, Mongrel2, Options};

use super::{exchange, next_request, text, with_hello, DEADLINE};

#[test]
fn one_reply_delivered_to_two_conn_ids_reaches_both_clients() {
    let m2 = Mongrel2::start(Options::default()).unwrap();
    let conn = m2.connect_handler().unwrap();
    let mut clients = [
        Conn::connect(m2.http_port).unwrap(),
        Conn::connect(m2.http_port).unwrap(),
    ];
    let mut ids = Vec::new();
    let mut sender = Vec::new();
    for (client, path) in clients.iter_mut().zip(["/first", "/second"]) {
        client
            .send(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .unwrap();
        let incoming = recv_within(&conn, DEADLINE, path).unwrap();
        let req = incoming.request().unwrap();
        assert_eq!(req.path, path.as_bytes());
        ids.push(req.conn_id);
        sender = req.sender.to_vec();
    }
    assert_ne!(ids[0], ids[1]);
    let response = http_response(b"one message, two clients\n", 200, "OK", &[]);
    conn.deliver(&sender, &ids, &response).unwrap();
    for client in &mut clients {
        assert_eq!(
            String::from_utf8_lossy(&client.read_response(DEADLINE).unwrap()),
            String::from_utf8_lossy(&response)
        );
    }
    conn.deliver_close(&sender, &ids).unwrap();
    for client in &mut clients {
        assert!(
            client.read_to_eof(DEADLINE).unwrap().is_empty(),
            "close adds no bytes"
        );
    }
}

#[test]
fn example_handler_broadcasts_to_the_listed_conn_ids() {
    let (m2, mut handler) = with_hello("json");
    let mut first = Conn::connect(m2.http_port).unwrap();
    exchange(
        &mut first,
        b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    let first_id = request::decode(&next_request(&mut handler, "the first GET"))
        .unwrap()
        .conn_id;
    let mut second = Conn::connect(m2.http_port).unwrap();
    let broadcast = format!("GET /broadcast?ids={first_id} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let answer = exchange(&mut second, broadcast.as_bytes());
    assert!(text(&answer).contains("\nQUERY: ids="), "{}", text(&answer));
    assert_eq!(
        String::from_utf8_lossy(&first.read_response(DEADLINE).unwrap()),
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn empty_body_close_ends_the_connection_without_a_notice() {
    let (m2, mut handler) = with_hello("json");
    let mut client = Conn::connect(m2.http_port).unwrap();
    client
        .send(b"GET /bye/close HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let until_eof = client.read_to_eof(DEADLINE).unwrap();
    assert_eq!(
        response_len(&until_eof),
        Some(until_eof.len()),
        "one response, then EOF: {}",
        text(&until_eof)
    );
    let closed = request::decode(&next_request(&mut handler, "the GET /bye/close"))
        .unwrap()
        .conn_id;

    // A notice for the closed connection would leave Mongrel2 as the socket
    // closes; a later connection's notice is the sentinel that it did not.
    let mut sentinel = Conn::connect(m2.http_port).unwrap();
    exchange(
        &mut sentinel,
        b"GET /sentinel HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    drop(sentinel);
    let sentinel_id = request::decode(&next_request(&mut handler, "the sentinel GET"))
        .unwrap()
        .conn_id;
    let notice = handler
        .next_frame(DEADLINE, "the sentinel's disconnect notice")
        .unwrap();
    let notice = request::decode(&notice).unwrap();
    assert!(notice.is_notice(), "{notice:?}");
    assert_eq!(
        notice.conn_id, sentinel_id,
        "a notice came for the closed conn {closed}"
    );
}
