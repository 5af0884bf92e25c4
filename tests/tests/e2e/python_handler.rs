//! Mongrel2's own Python handler library (Debian's copy, made to run on
//! Python 3 at test time by `tests/python/py3fix.py`) serves requests through
//! Scale0 unchanged: `tests/python/m2_hello.py` is an ordinary Mongrel2
//! application using `handler.Connection`, `recv`, `reply_http`, `deliver`,
//! `close`, `is_disconnect` and `should_close`, in both request protocols.

use std::time::{Duration, Instant};

use scale0_tests::client::{split_response, Conn};
use scale0_tests::gateway::{handler_config, Gateway};
use scale0_tests::python::Handler;

/// How long a request may take end to end (the handler is a Python process).
const WAIT: Duration = Duration::from_secs(10);
/// How long the handler may take to start and get its first reply through.
const READY: Duration = Duration::from_secs(20);
/// The handler's PUB identity (any id works; Mongrel2 ignores it).
const HANDLER_ID: &str = "82209006-86FF-4982-B5EA-D1E29E55D481";

/// The gateway and the Python handler, ready to serve.
struct Setup {
    handler: Handler,
    gateway: Gateway,
    _dir: tempfile::TempDir,
}

impl Setup {
    /// Starts both, the gateway speaking `protocol` to the handler, and waits
    /// until a reply gets through (ZeroMQ's slow joiner loses the first ones).
    fn start(protocol: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let send = format!("ipc://{}/send", dir.path().display());
        let recv = format!("ipc://{}/recv", dir.path().display());
        let defaults = "reply_timeout = \"1s\"";
        let gateway = Gateway::start(&handler_config(&send, &recv, protocol, defaults)).unwrap();
        let handler = Handler::start(HANDLER_ID, &send, &recv).unwrap();
        let setup = Setup {
            handler,
            gateway,
            _dir: dir,
        };
        let start = Instant::now();
        while setup.try_get("/probe").0 != 200 {
            assert!(
                start.elapsed() < READY,
                "handler not ready; {}",
                setup.handler.logs()
            );
        }
        setup
    }

    fn client(&self) -> Conn {
        Conn::connect(self.gateway.port()).unwrap()
    }

    /// Status and body of one request on `client`.
    fn exchange(&self, client: &mut Conn, request: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
        client.send(request).unwrap();
        let response = client
            .read_response(WAIT)
            .unwrap_or_else(|e| panic!("{e}; {}", self.handler.logs()));
        split_response(&response).unwrap()
    }

    fn try_get(&self, path: &str) -> (u16, Vec<u8>) {
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        let (status, _, body) = self.exchange(&mut self.client(), request.as_bytes());
        (status, body)
    }

    /// The conn id the handler printed for a request to `path`.
    fn request_seen(&self, path: &str) -> String {
        let line = self
            .handler
            .expect_line(&format!("request for {path}"), WAIT, |l| {
                l.starts_with("request ") && l.ends_with(&format!(" {path}"))
            })
            .unwrap();
        line.split(' ').nth(1).unwrap_or_default().to_owned()
    }

    /// Waits for the handler's `is_disconnect()` for `conn_id`.
    fn disconnect_seen(&self, conn_id: &str) {
        let want = format!("disconnect {conn_id}");
        self.handler
            .expect_line(&want, WAIT, |l| l == want)
            .unwrap();
    }
}

/// The `key=value` lines of m2_hello.py's page.
fn lines(body: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(body)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn assert_has(body: &[u8], line: &str) {
    let got = lines(body);
    assert!(
        got.iter().any(|l| l == line),
        "no line {line:?} in {got:#?}"
    );
}

/// GET with a query and a custom header: the library parsed the headers and
/// answers with `reply_http`; the same keep-alive connection keeps its conn id.
fn get_story(setup: &Setup) {
    let mut client = setup.client();
    let request =
        b"GET /hello?name=scale0&x=1 HTTP/1.1\r\nHost: localhost\r\nX-Custom: yes\r\n\r\n";
    let (status, headers, body) = setup.exchange(&mut client, request);
    assert_eq!(status, 200);
    assert!(headers.contains(&("content-type".into(), "text/plain".into())));
    for line in [
        "method=GET",
        "path=/hello",
        "query=name=scale0&x=1",
        "version=HTTP/1.1",
        "remote_addr=127.0.0.1",
        "should_close=False",
        "x-custom=yes",
    ] {
        assert_has(&body, line);
    }
    let conn_line = lines(&body).into_iter().find(|l| l.starts_with("conn_id="));
    let (_, _, again) = setup.exchange(
        &mut client,
        b"GET /again HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_has(&again, "path=/again");
    assert_has(&again, conn_line.as_deref().unwrap_or("conn_id= missing"));
}

/// POST of every byte value: the body reaches Python and comes back exact.
fn post_echo_story(setup: &Setup) {
    let body: Vec<u8> = (0..=255u8).collect();
    let mut request = format!(
        "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let (status, headers, echoed) = setup.exchange(&mut setup.client(), &request);
    assert_eq!(status, 200);
    assert!(headers.contains(&("content-length".into(), "256".into())));
    assert_eq!(echoed, body);
}

/// A client leaving before the reply: the library's `is_disconnect()` is true
/// for the notice, with the client's conn id.
fn disconnect_story(setup: &Setup) {
    let mut client = setup.client();
    client
        .send(b"GET /wait/park HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let conn_id = setup.request_seen("/wait/park");
    drop(client);
    setup.disconnect_seen(&conn_id);
}

#[test]
fn json_get_is_answered_with_headers_the_library_parsed() {
    get_story(&Setup::start("json"));
}

#[test]
fn json_post_body_is_echoed_byte_for_byte() {
    post_echo_story(&Setup::start("json"));
}

#[test]
fn json_http10_request_should_close_and_is_closed_after_the_reply() {
    let setup = Setup::start("json");
    let mut client = setup.client();
    let (status, _, body) = setup.exchange(&mut client, b"GET /old HTTP/1.0\r\n\r\n");
    assert_eq!(status, 200);
    assert_has(&body, "version=HTTP/1.0");
    assert_has(&body, "should_close=True");
    assert!(client.closed_within(WAIT).unwrap(), "connection left open");
}

#[test]
fn json_client_leaving_is_a_disconnect_the_library_recognises() {
    disconnect_story(&Setup::start("json"));
}

#[test]
fn json_deliver_answers_a_parked_connection_and_the_current_one() {
    let setup = Setup::start("json");
    let mut parked = setup.client();
    parked
        .send(b"GET /p/park HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    setup.request_seen("/p/park");
    let (status, _, body) = setup.exchange(
        &mut setup.client(),
        b"GET /p/deliver HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!((status, body.as_slice()), (200, b"delivered\n".as_slice()));
    let response = parked.read_response(WAIT).unwrap();
    let (status, _, body) = split_response(&response).unwrap();
    assert_eq!((status, body.as_slice()), (200, b"delivered\n".as_slice()));
}

#[test]
fn tnetstring_protocol_serves_get_post_and_disconnects() {
    let setup = Setup::start("tnetstring");
    get_story(&setup);
    post_echo_story(&setup);
    disconnect_story(&setup);
}
