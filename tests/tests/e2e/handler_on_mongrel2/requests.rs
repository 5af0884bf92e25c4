//! What the handler sees of a request, and what the client gets back: GET,
//! POST bodies, query strings, repeated headers; JSON and tnetstring.

use mongrel2_compat::handler::http_response;
use mongrel2_compat::request::{self, key, Builder, HeaderValue, Protocol};
use scale0_tests::client::{split_response, Conn};
use scale0_workers_examples::hello;

use super::{exchange, fixture, next_request, text, values, with_conn_id, with_hello, PLAIN};

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
    let protocol = if protocol == "json" {
        let captured = fixture("json-01-simple-get/02-m2-to-handler.bin");
        assert_eq!(
            String::from_utf8_lossy(&with_conn_id(&captured, req.conn_id)),
            String::from_utf8_lossy(&frame)
        );
        Protocol::Json
    } else {
        Protocol::Tnetstring
    };
    assert_eq!(req.protocol, protocol);
    let built = Builder::new(req.sender, req.conn_id, protocol)
        .method(b"GET")
        .path(b"/hello")
        .version(b"HTTP/1.1")
        .uri(b"/hello")
        .pattern(b"/")
        .remote_addr(b"127.0.0.1")
        .headers([
            (&b"Host"[..], &b"localhost"[..]),
            (b"User-Agent", b"m2lab/1.0"),
            (b"Accept", b"*/*"),
        ])
        .build()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&built.request.to_vec()),
        String::from_utf8_lossy(&frame),
        "the gateway's builder writes what Mongrel2 sends"
    );
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
