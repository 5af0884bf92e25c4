//! Mongrel2's own HTTP example handler (Debian's `examples/http_0mq/http.py`,
//! Python 2), py3-fixed at test time, behind the real Mongrel2 and behind
//! Scale0: the page it builds from what it received (sender, path, the header
//! table as JSON in wire order, body) is the same through both servers, and
//! so is its `killme` answer.
//! (The upload, WebSocket echo and chat examples have their own stories in
//! `uploads` and `websocket`.)

use std::path::Path;
use std::time::{Duration, Instant};

use scale0_tests::client::{split_response, Conn, Split};
use scale0_tests::gateway::{handler_config, Gateway};
use scale0_tests::mongrel2::{Mongrel2, Options};
use scale0_tests::python::PyApp;

const HTTP_PY: &str = "/usr/share/doc/mongrel2-core/examples/http_0mq/http.py";
/// How long one exchange may take (the handler is a Python process).
const WAIT: Duration = Duration::from_secs(5);
/// How long the handler may take to start and get a first reply through.
const READY: Duration = Duration::from_secs(20);

/// Python 2 → 3 fixes, and the example's fixed endpoints replaced.
fn fixes<'a>(send: &'a str, recv: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        (
            "print \"WAITING FOR REQUEST\"",
            "print(\"WAITING FOR REQUEST\", flush=True)",
        ),
        ("print \"DISCONNECT\"", "print(\"DISCONNECT\", flush=True)"),
        (
            "print \"They want to be killed.\"",
            "print(\"They want to be killed.\", flush=True)",
        ),
        (
            "        print response\n",
            "        print(response, flush=True)\n",
        ),
        ("\"tcp://127.0.0.1:9997\"", send),
        ("\"tcp://127.0.0.1:9996\"", recv),
    ]
}

fn http_py(send_spec: &str, recv_spec: &str) -> PyApp {
    let (send, recv) = (format!("\"{send_spec}\""), format!("\"{recv_spec}\""));
    PyApp::start(Path::new(HTTP_PY), &[], &fixes(&send, &recv)).unwrap()
}

/// Status, headers and body of `request` on a fresh connection, or `None`
/// when no answer came within [`WAIT`] (a reply lost to ZeroMQ's slow
/// joiner: Mongrel2 has no deadline of its own).
fn exchange(port: u16, request: &[u8]) -> Option<Split> {
    let mut conn = Conn::connect(port).ok()?;
    conn.send(request).ok()?;
    let response = conn.read_response(WAIT).ok()?;
    split_response(&response).ok()
}

fn wait_ready(port: u16, app: &PyApp) {
    let start = Instant::now();
    let probe = b"GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n";
    while exchange(port, probe).map(|(status, _, _)| status) != Some(200) {
        assert!(start.elapsed() < READY, "http.py not ready; {}", app.logs());
    }
}

/// The page http.py answers with, minus the `IDENT` line (conn ids count
/// connections, and the probes above took a different number on each server).
fn page_without_ident(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .filter(|line| !line.starts_with("IDENT:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a client sees from http.py through the server on `port`.
fn observe(port: u16, app: &PyApp) -> Vec<String> {
    wait_ready(port, app);
    let requests: [&[u8]; 3] = [
        b"GET /hello/there?x=1&y=two HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\nX-Custom: a\r\nX-Custom: b\r\n\r\n",
        b"POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nname=scale0",
        b"DELETE /thing/7 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    ];
    let mut seen = Vec::new();
    for request in requests {
        let (status, _, body) = exchange(port, request)
            .unwrap_or_else(|| panic!("no answer on port {port}; {}", app.logs()));
        seen.push(format!("{status}\n{}", page_without_ident(&body)));
    }
    // `killme`: the example's "kill me" answer is `reply_http` with an empty
    // body, a 200 with `Content-Length: 0` (heads are compared by status and
    // body: Scale0 writes its own, docs/differences.md §1).
    let request = b"GET /bye HTTP/1.1\r\nHost: localhost\r\nkillme: yes\r\n\r\n";
    let (status, _, body) =
        exchange(port, request).unwrap_or_else(|| panic!("no answer; {}", app.logs()));
    app.expect("They want to be killed.").unwrap();
    seen.push(format!("killme: {status} {body:?}"));
    seen
}

#[test]
fn mongrel2s_http_example_answers_the_same_through_both_servers() {
    let m2 = Mongrel2::start(Options::default()).unwrap();
    let app = http_py(&m2.send_spec, &m2.recv_spec);
    let through_mongrel2 = observe(m2.http_port, &app);
    drop(app);
    drop(m2);

    let dir = tempfile::tempdir().unwrap();
    let send = format!("ipc://{}/send", dir.path().display());
    let recv = format!("ipc://{}/recv", dir.path().display());
    let gateway = Gateway::start(&handler_config(&send, &recv, "json", "")).unwrap();
    let app = http_py(&send, &recv);
    let through_scale0 = observe(gateway.port(), &app);

    assert!(
        through_scale0[0].contains("PATH: '/hello/there'"),
        "{}",
        through_scale0[0]
    );
    assert_eq!(through_scale0, through_mongrel2);
}
