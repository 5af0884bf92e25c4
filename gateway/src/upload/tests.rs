//! The messages of the upload and credit flows against Mongrel2's captured bytes.

use mongrel2_compat::request::{key, Protocol};

use super::prepare::message;
use crate::translate::Context;

const SENDER: &str = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378";

fn capture(path: &str) -> String {
    let file = format!(
        "{}/../fixtures/mongrel2-captures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned()
}

fn ctx(conn_id: u64, protocol: Protocol) -> Context<'static> {
    Context {
        sender: SENDER,
        conn_id,
        protocol,
        pattern: "/",
        peer: "127.0.0.1:5000".parse().unwrap(),
        trusted_proxies: &[],
        scheme: "http",
    }
}

fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap().into_parts().0
}

#[test]
fn upload_start_and_done_match_mongrel2() {
    let p = request(
        "POST",
        "/upload",
        &[
            ("host", "localhost"),
            ("content-type", "application/octet-stream"),
            ("content-length", "10000"),
        ],
    );
    let path = b"/tmp/mongrel2.upload.QgXNMj".to_vec();
    let start_path = path.clone();
    let start = message(&p, b"", &ctx(5, Protocol::Json), false, |b| {
        b.extra(key::UPLOAD_START, start_path)
    })
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&start),
        capture("json-04-post-large-upload/02-m2-to-handler-upload-start.bin")
    );
    let done = message(&p, b"", &ctx(5, Protocol::Json), false, |b| {
        b.extra(key::UPLOAD_START, path.clone())
            .extra(key::UPLOAD_DONE, path)
    })
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&done),
        capture("json-04-post-large-upload/04-m2-to-handler-upload-done.bin")
    );
}

#[test]
fn chunked_upload_messages_keep_transfer_encoding() {
    let p = request(
        "POST",
        "/chunked",
        &[("host", "localhost"), ("transfer-encoding", "chunked")],
    );
    let path = b"/tmp/mongrel2.upload.3OmKXW".to_vec();
    let done = message(&p, b"", &ctx(6, Protocol::Json), false, |b| {
        b.extra(key::UPLOAD_START, path.clone())
            .extra(key::UPLOAD_DONE, path)
    })
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&done),
        capture("json-04b-post-chunked-body/03-m2-to-handler-2.bin")
    );
}

#[test]
fn download_credits_sit_where_mongrel2_puts_them() {
    let p = request("GET", "/credits", &[("host", "localhost")]);
    for (protocol, file) in [
        (
            Protocol::Json,
            "flow-01-download-credits/02-m2-to-handler.bin",
        ),
        (
            Protocol::Tnetstring,
            "flow-04-download-credits-tnetstring/02-m2-to-handler.bin",
        ),
    ] {
        let frame = message(&p, b"", &ctx(1, protocol), true, |b| b).unwrap();
        assert_eq!(String::from_utf8_lossy(&frame), capture(file));
    }
}

#[test]
fn the_first_streamed_message_matches_mongrel2() {
    let p = request(
        "POST",
        "/stream-chunked",
        &[("host", "localhost"), ("transfer-encoding", "chunked")],
    );
    let frame = message(&p, b"", &ctx(3, Protocol::Json), true, |b| {
        b.extra(key::UPLOAD_STREAM, b"0".as_slice())
    })
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&frame),
        capture("flow-03-upload-stream-chunked/02-m2-to-handler-first.bin")
    );
}
