//! Issue 2: Rust handlers serve a real Mongrel2. Debian's Mongrel2 1.12 runs on
//! loopback; the example handler (`hello::answer`, in a recording thread) or,
//! where a story needs exact control, a test-local `handler::Connection`
//! answers. Each story checks what the client got and what the handler saw,
//! the latter byte for byte against the captures where one exists (modulo the
//! conn id, which depends on how many connections came before).

use std::time::Duration;

use mongrel2_compat::handler::http_response;
use mongrel2_compat::request::{self, key, HeaderValue, Protocol, Request};
use scale0_tests::client::{response_len, split_response, Conn};
use scale0_tests::mongrel2::{recv_within, Mongrel2, Options, RecordingHandler};
use scale0_workers_examples::hello;

/// Longest wait for any one event (a response, a frame, an EOF).
const DEADLINE: Duration = Duration::from_secs(10);
/// The `Content-Type` the example handler answers with.
const PLAIN: (&str, &str) = ("Content-Type", "text/plain; charset=utf-8");

/// Mongrel2 in `protocol` with the example handler attached and ready.
fn with_hello(protocol: &str) -> (Mongrel2, RecordingHandler) {
    let m2 = Mongrel2::start(Options {
        protocol: protocol.into(),
        ..Options::default()
    })
    .unwrap();
    let handler = RecordingHandler::start(&m2, hello::answer).unwrap();
    (m2, handler)
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        scale0_tests::repo_root()
            .join("fixtures/mongrel2-captures")
            .join(path),
    )
    .unwrap()
}

/// `frame` with its CONN_ID field (the second, space-separated) set to `id`.
fn with_conn_id(frame: &[u8], id: u64) -> Vec<u8> {
    let mut fields = frame.splitn(3, |&b| b == b' ');
    let (sender, rest) = (fields.next().unwrap(), fields.nth(1).unwrap());
    [sender, format!(" {id} ").as_bytes(), rest].concat()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// The values of header `name` as the handler saw it.
fn values<'r>(req: &'r Request<'_>, name: &[u8]) -> Vec<&'r str> {
    let value = req.headers.get(name);
    let value = value.unwrap_or_else(|| panic!("no {:?} key in {req:?}", text(name)));
    value.values().map(text).collect()
}

/// Sends `bytes` and reads one response.
fn exchange(client: &mut Conn, bytes: &[u8]) -> Vec<u8> {
    client.send(bytes).unwrap();
    client.read_response(DEADLINE).unwrap()
}

/// The handler's next frame must be a request; returns its bytes.
fn next_request(handler: &mut RecordingHandler, what: &str) -> Vec<u8> {
    let frame = handler.next_frame(DEADLINE, what).unwrap();
    assert!(
        !request::decode(&frame).unwrap().is_notice(),
        "{what}: {:?}",
        String::from_utf8_lossy(&frame)
    );
    frame
}

fn get_reaches_the_example_handler(protocol: &str) {
    let (m2, mut handler) = with_hello(protocol);
    let mut client = Conn::connect(m2.http_port).unwrap();
    let response = exchange(
        &mut client,
        &fixture("json-01-simple-get/01-client-to-m2.bin"),
    );
    let frame = next_request(&mut handler, "the GET");
    let req = request::decode(&frame).unwrap();
    let (status, headers, body) = split_response(&response).unwrap();
    assert_eq!(status, 200);
    assert!(
        headers.contains(&("content-type".into(), PLAIN.1.into())),
        "{headers:?}"
    );
    assert!(
        text(&body).contains(&format!("GET /hello (conn {})", req.conn_id)),
        "{}",
        text(&body)
    );
    assert_eq!(
        response,
        http_response(hello::describe(&req).as_bytes(), 200, "OK", &[PLAIN])
    );
    assert_eq!(text(req.sender), m2.options.send_ident);
    assert_eq!((req.path, req.body), (&b"/hello"[..], &b""[..]));
    for (name, value) in [
        (key::METHOD, "GET"),
        (key::VERSION, "HTTP/1.1"),
        (key::URI, "/hello"),
        (key::PATTERN, "/"),
        (key::REMOTE_ADDR, "127.0.0.1"),
        (b"host", "localhost"),
        (b"user-agent", "m2lab/1.0"),
    ] {
        assert_eq!(values(&req, name), [value]);
    }
    assert!(
        req.headers.get(key::QUERY).is_none(),
        "no `?`, no QUERY: {req:?}"
    );
    if protocol == "json" {
        let captured = fixture("json-01-simple-get/02-m2-to-handler.bin");
        assert_eq!(
            String::from_utf8_lossy(&with_conn_id(&captured, req.conn_id)),
            String::from_utf8_lossy(&frame)
        );
    } else {
        assert_eq!(req.protocol, Protocol::Tnetstring);
    }
}

#[test]
fn get_reaches_the_example_handler_json() {
    get_reaches_the_example_handler("json");
}

#[test]
fn get_reaches_the_example_handler_tnetstring() {
    get_reaches_the_example_handler("tnetstring");
}

#[test]
fn post_bodies_reach_the_handler_and_echo_back() {
    let (m2, mut handler) = with_hello("json");
    let mut client = Conn::connect(m2.http_port).unwrap();
    let form = exchange(
        &mut client,
        &fixture("json-03-post-small-body/01-client-to-m2.bin"),
    );
    let frame = next_request(&mut handler, "the form POST");
    let req = request::decode(&frame).unwrap();
    let captured = fixture("json-03-post-small-body/02-m2-to-handler.bin");
    assert_eq!(with_conn_id(&captured, req.conn_id), frame);
    assert_eq!(req.body, b"name=Zed&lang=C&msg=hello%2C+world");
    assert!(text(&split_response(&form).unwrap().2).ends_with("\nbody: 34 bytes\n"));

    // The same keep-alive connection, a binary body: NUL, tnetstring and JSON
    // punctuation, bytes above 0x7f, CRLF.
    let body = b"\0\x01,:}]\xff\xfe\"quoted\"\\\r\n\r\nend";
    let head = format!(
        "POST /files/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let echoed = exchange(&mut client, &[head.as_bytes(), body].concat());
    assert_eq!(echoed, http_response(body, 200, "OK", &[PLAIN]));
    let frame = next_request(&mut handler, "the echo POST");
    let echo = request::decode(&frame).unwrap();
    assert_eq!(
        (echo.conn_id, echo.path, echo.body),
        (req.conn_id, &b"/files/echo"[..], &body[..])
    );
    assert_eq!(values(&echo, key::METHOD), ["POST"]);
    assert_eq!(values(&echo, b"content-length"), [body.len().to_string()]);
}

/// Sends the capture's request (query, fragment, repeated and mixed-case
/// headers, a client X-Forwarded-For); the handler must get the captured frame.
fn query_and_headers_frame(protocol: &str) -> (Vec<u8>, Vec<u8>) {
    let (m2, mut handler) = with_hello(protocol);
    let dir = if protocol == "json" {
        "json-02-get-query-repeated-headers"
    } else {
        "tnet-02-get-query-repeated-headers"
    };
    let mut client = Conn::connect(m2.http_port).unwrap();
    let response = exchange(&mut client, &fixture(&format!("{dir}/01-client-to-m2.bin")));
    let frame = next_request(&mut handler, "the GET with a query");
    let id = request::decode(&frame).unwrap().conn_id;
    let captured = fixture(&format!("{dir}/02-m2-to-handler.bin"));
    assert_eq!(
        String::from_utf8_lossy(&with_conn_id(&captured, id)),
        String::from_utf8_lossy(&frame)
    );
    (response, frame)
}

fn query_string_reaches_the_handler_exactly(protocol: &str) {
    let (response, frame) = query_and_headers_frame(protocol);
    let req = request::decode(&frame).unwrap();
    assert_eq!(req.path, b"/search/items");
    assert_eq!(values(&req, key::PATH), ["/search/items"]);
    assert_eq!(
        values(&req, key::URI),
        ["/search/items?q=caf%C3%A9&tag=a&tag=b"]
    );
    assert_eq!(values(&req, key::QUERY), ["q=caf%C3%A9&tag=a&tag=b"]);
    assert_eq!(values(&req, key::FRAGMENT), ["frag-1"]);
    let (status, _, body) = split_response(&response).unwrap();
    assert_eq!(status, 200);
    assert!(
        text(&body).contains("\nQUERY: q=caf%C3%A9&tag=a&tag=b\n"),
        "{}",
        text(&body)
    );
}

#[test]
fn query_string_reaches_the_handler_exactly_json() {
    query_string_reaches_the_handler_exactly("json");
}

#[test]
fn query_string_reaches_the_handler_exactly_tnetstring() {
    query_string_reaches_the_handler_exactly("tnetstring");
}

#[test]
fn bare_question_mark_gives_an_empty_query() {
    let (m2, mut handler) = with_hello("json");
    let mut client = Conn::connect(m2.http_port).unwrap();
    let response = exchange(&mut client, b"GET /q? HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(split_response(&response).unwrap().0, 200);
    let frame = next_request(&mut handler, "the GET /q?");
    let req = request::decode(&frame).unwrap();
    assert_eq!(
        (req.path, values(&req, key::URI), values(&req, key::QUERY)),
        (&b"/q"[..], vec!["/q?"], vec![""])
    );
}

fn repeated_headers_arrive_as_arrays_in_order(protocol: &str) {
    let (response, frame) = query_and_headers_frame(protocol);
    let req = request::decode(&frame).unwrap();
    for (name, expected) in [
        (&b"x-dup"[..], &["one", "two", "three"][..]),
        (b"cookie", &["a=1", "b=2"]),
    ] {
        assert!(
            matches!(req.headers.get(name), Some(HeaderValue::Many(_))),
            "{name:?} not an array: {req:?}"
        );
        assert_eq!(values(&req, name), expected);
    }
    assert_eq!(
        values(&req, b"x-mixed-case-header"),
        ["Value With Spaces  "]
    );
    assert_eq!(values(&req, b"x-quote"), [r#"he said "hi" \ back"#]);
    assert_eq!(
        values(&req, b"x-forwarded-for"),
        ["127.0.0.1"],
        "Mongrel2 replaces the client's value"
    );
    let mongrel2_keys = [
        key::PATH,
        key::METHOD,
        key::VERSION,
        key::URI,
        key::QUERY,
        key::FRAGMENT,
        key::PATTERN,
        key::URL_SCHEME,
        key::REMOTE_ADDR,
    ];
    for (name, _) in req
        .headers
        .iter()
        .filter(|(n, _)| !mongrel2_keys.contains(n))
    {
        assert_eq!(
            name,
            name.to_ascii_lowercase(),
            "client header names arrive lower-cased"
        );
    }
    let body = split_response(&response).unwrap().2;
    assert!(
        text(&body).contains("\nx-dup: one, two, three\n"),
        "{}",
        text(&body)
    );
}

#[test]
fn repeated_headers_arrive_as_arrays_in_order_json() {
    repeated_headers_arrive_as_arrays_in_order("json");
}

#[test]
fn repeated_headers_arrive_as_arrays_in_order_tnetstring() {
    repeated_headers_arrive_as_arrays_in_order("tnetstring");
}

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
