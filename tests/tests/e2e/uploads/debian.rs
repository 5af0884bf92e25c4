//! Debian's `examples/http_0mq/upload.py` (Mongrel2's own upload handler, Python 2) made
//! Python 3 at test time (the exact-once text fixes below, plus the library fix of
//! `py3fix.py`, applied by [`PyApp`]) and run through Scale0's temp-file flow: its md5 answer
//! must match the body.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use scale0_tests::client::Conn;
use scale0_tests::gateway::{handler_config, Gateway};
use scale0_tests::python::PyApp;
use scale0_tests::wait;

use super::side::EVENT;

/// Debian's copy of the example.
const UPLOAD_PY: &str = "/usr/share/doc/mongrel2-core/examples/http_0mq/upload.py";

/// Python 2 → 3 fixes (print statements, the temp file read as bytes for
/// md5), and the example's fixed endpoints replaced by the test's own.
fn fixes<'a>(send: &'a str, recv: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("\"tcp://127.0.0.1:9997\"", send),
        ("\"tcp://127.0.0.1:9996\"", recv),
        (
            "print \"WAITING FOR REQUEST\"",
            "print(\"WAITING FOR REQUEST\", flush=True)",
        ),
        ("print \"DISCONNECT\"", "print(\"DISCONNECT\", flush=True)"),
        (
            "print \"GOT THE WRONG TARGET FILE: \", expected, upload",
            "print(\"GOT THE WRONG TARGET FILE: \", expected, upload, flush=True)",
        ),
        ("print \"UPLOAD DONE:", "print(\"UPLOAD DONE:"),
        (
            "len(body), req.headers['content-length'])",
            "len(body), req.headers['content-length']), flush=True)",
        ),
        ("open(upload, 'r')", "open(upload, 'rb')"),
        (
            "print \"UPLOAD starting, don't reply yet.\"",
            "print(\"UPLOAD starting, don't reply yet.\", flush=True)",
        ),
        (
            "print \"Will read file from %s.\" % req.headers.get('x-mongrel2-upload-start', None)",
            "print(\"Will read file from %s.\" % req.headers.get('x-mongrel2-upload-start', None), flush=True)",
        ),
        ("        print response\n", "        print(response, flush=True)\n"),
    ]
}

fn start_handler(send: &str, recv: &str) -> PyApp {
    let (send, recv) = (format!("\"{send}\""), format!("\"{recv}\""));
    PyApp::start(Path::new(UPLOAD_PY), &[], &fixes(&send, &recv)).unwrap()
}

/// The md5 of `data` as hex, by coreutils' `md5sum`.
fn md5_hex(data: &[u8]) -> String {
    let mut child = Command::new("md5sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Waits until the handler answers a GET, then posts 1 MB and checks upload.py's md5 answer.
fn check_upload(port: u16) {
    // The handler answers plain GETs; one answered means its PUB is joined.
    wait::until("upload.py to answer a GET", EVENT * 2, || {
        let mut conn = Conn::connect(port).ok()?;
        conn.send(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .ok()?;
        conn.read_response(Duration::from_millis(300)).ok()
    })
    .unwrap();
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    let mut client = Conn::connect(port).unwrap();
    let head = format!(
        "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        data.len()
    );
    client.send(head.as_bytes()).unwrap();
    client.send(&data).unwrap();
    let answer = client.read_response(EVENT).unwrap();
    let want = format!("UPLOAD GOOD: {}", md5_hex(&data));
    assert!(
        answer.ends_with(want.as_bytes()),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn mongrel2s_upload_example_checks_the_md5_of_a_large_upload_through_scale0() {
    let dir = tempfile::tempdir().unwrap();
    let send = format!("ipc://{}/send", dir.path().display());
    let recv = format!("ipc://{}/recv", dir.path().display());
    let store = dir.path().join("scale0.upload.XXXXXX");
    let toml = format!(
        "{}\n[upload]\ntemp_store = \"{}\"\n",
        handler_config(&send, &recv, "json", "inline_body_bytes = 1024"),
        store.display()
    );
    let gateway = Gateway::start(&toml).unwrap();
    let _handler = start_handler(&send, &recv);
    check_upload(gateway.port());
}

#[test]
fn the_upload_example_also_works_behind_the_broker_as_a_handler_backed_service() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| format!("ipc://{}/{name}", dir.path().display());
    let (send, recv) = (at("m2-send"), at("m2-recv"));
    let toml = format!(
        "[[listener]]\nbind = \"127.0.0.1:0\"\n\n[defaults]\ninline_body_bytes = 1024\n\n\
         [[host]]\nname = \"localhost\"\ndefault = true\n[[host.route]]\npath = \"/\"\n\
         target = \"up\"\n\n[target.up]\ntype = \"service\"\nservice = \"up\"\n\n\
         [upload]\ntemp_store = \"{}\"\n\n[broker]\nembedded = true\nworkers = \"{}\"\n\
         control = \"{}\"\n\n[[broker.handler]]\nservice = \"up\"\nsend_spec = \"{send}\"\n\
         recv_spec = \"{recv}\"\nmax_outstanding = 8\n",
        dir.path().join("scale0.upload.XXXXXX").display(),
        at("workers"),
        at("control"),
    );
    let gateway = Gateway::start(&toml).unwrap();
    let _handler = start_handler(&send, &recv);
    check_upload(gateway.port());
}
