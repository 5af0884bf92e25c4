//! Golden vectors: every request frame Mongrel2 1.12 sent in the captures decodes and re-encodes
//! to the identical bytes, and the frames our builders make from the captured client bytes are
//! byte for byte the frames Mongrel2 made.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failure should stop the test"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use mongrel2_compat::request::{self, key, Builder, HeaderValue, Protocol, Request};

#[path = "golden_requests/client.rs"]
mod client;

use client::{chunked, ClientRequest, Replay};

/// Counts of what the walk checked, so a broken walk cannot pass.
#[derive(Default, Debug)]
struct Counts {
    frames: usize,
    built: usize,
    websocket: usize,
    upload_done: usize,
    stream_pieces: usize,
    rebuilt_in: BTreeSet<String>,
    disconnect: [usize; 2],
    credits: [usize; 2],
}

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/mongrel2-captures")
}

#[test]
fn every_captured_request_frame_round_trips_and_is_rebuilt_exactly() {
    let mut counts = Counts::default();
    let mut dirs: Vec<PathBuf> = fs::read_dir(captures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let mut replay = Replay::default();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = fs::read(&file).unwrap();
            if name.contains("client-to-m2") {
                replay.client_write(&bytes);
            } else if name.contains("m2-to-handler") {
                check_frame(
                    &bytes,
                    &mut replay,
                    &mut counts,
                    &format!("{}/{name}", dir.display()),
                );
                let scenario = dir.file_name().unwrap().to_string_lossy().into_owned();
                counts.rebuilt_in.insert(scenario);
            }
        }
    }
    // Every frame is checked twice: re-encoded, and rebuilt by one of our encoders.
    assert_eq!(counts.frames, 143, "{counts:?}");
    assert_eq!(
        counts.built
            + counts.stream_pieces
            + counts.disconnect.iter().sum::<usize>()
            + counts.credits.iter().sum::<usize>(),
        143
    );
    assert_eq!(counts.built, 88, "{counts:?}");
    assert_eq!(counts.websocket, 6, "{counts:?}");
    assert_eq!(counts.upload_done, 3, "{counts:?}");
    assert_eq!(counts.stream_pieces, 9, "{counts:?}");
    assert_eq!(counts.disconnect, [35, 6], "{counts:?}");
    assert_eq!(counts.credits, [4, 1], "{counts:?}");
    for scenario in [
        "json-01-simple-get",
        "json-02-get-query-repeated-headers",
        "json-02b-header-dupe-limit",
        "json-03-post-small-body",
        "json-05a-http10",
        "json-05b-http10-keepalive",
        "json-05c-http11-keepalive",
        "json-05d-http11-pipelined",
        "tnet-02-get-query-repeated-headers",
        "tnet-03-post-small-body",
        "misc-04-odd-request-bytes",
        "json-07-websocket",
        "tnet-07-websocket",
        "json-10-json-xml-socket",
        "tnet-10-json-socket",
        "json-04-post-large-upload",
        "flow-02-upload-stream",
    ] {
        assert!(
            counts.rebuilt_in.contains(scenario),
            "{scenario} not rebuilt: {counts:?}"
        );
    }
}

/// Decodes one captured frame, re-encodes it, and rebuilds it from what the client sent.
fn check_frame(frame: &[u8], replay: &mut Replay, counts: &mut Counts, name: &str) {
    let decoded = request::decode(frame).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(decoded.to_vec(), frame, "{name}: re-encoding differs");
    counts.frames += 1;
    let protocol = decoded.protocol;
    let slot = usize::from(protocol == Protocol::Tnetstring);
    let mut rebuilt = Vec::new();
    if decoded.is_notice() {
        if let Some(credits) = decoded.headers.get_str(key::DOWNLOAD_CREDITS) {
            let credits = credits.parse().unwrap();
            request::encode_credits(
                decoded.sender,
                decoded.conn_id,
                protocol,
                credits,
                &mut rebuilt,
            );
            counts.credits[slot] += 1;
        } else {
            request::encode_disconnect(decoded.sender, decoded.conn_id, protocol, &mut rebuilt);
            counts.disconnect[slot] += 1;
        }
    } else if decoded.method().is_none() {
        let offset = decoded
            .headers
            .get_str(key::UPLOAD_STREAM)
            .unwrap()
            .parse()
            .unwrap();
        let done = decoded.headers.get(key::UPLOAD_STREAM_DONE).is_some();
        let (sender, id, path, body) =
            (decoded.sender, decoded.conn_id, decoded.path, decoded.body);
        request::encode_upload_piece(sender, id, protocol, path, offset, done, body, &mut rebuilt);
        counts.stream_pieces += 1;
    } else {
        let method = decoded.method().unwrap_or_default();
        let repeats =
            method == key::METHOD_WEBSOCKET || decoded.headers.get(key::UPLOAD_DONE).is_some();
        let client = if repeats {
            replay.last.clone().expect("a request before this frame")
        } else {
            let client = replay
                .pending
                .pop_front()
                .unwrap_or_else(|| panic!("{name}: no client request"));
            replay.last = Some(client.clone());
            client
        };
        rebuild(&decoded, &client, &mut rebuilt);
        counts.built += 1;
        counts.websocket += usize::from(method == key::METHOD_WEBSOCKET);
        counts.upload_done += usize::from(decoded.headers.get(key::UPLOAD_DONE).is_some());
    }
    assert_eq!(
        rebuilt.escape_ascii().to_string(),
        frame.escape_ascii().to_string(),
        "{name}: rebuilt frame differs"
    );
}

/// Builds the frame for `client` the way the gateway will, taking from the captured frame only
/// what the gateway learns elsewhere: sender, conn id, PATTERN, URL_SCHEME, REMOTE_ADDR, the
/// Mongrel2 keys set by features (credits, uploads, FLAGS) and bodies Mongrel2 made itself.
fn rebuild(frame: &Request<'_>, client: &ClientRequest, out: &mut Vec<u8>) {
    let first = |name: &[u8]| frame.headers.get(name).map(HeaderValue::first);
    let method = frame.method().unwrap();
    let mut builder = Builder::new(frame.sender, frame.conn_id, frame.protocol)
        .path(&client.path)
        .method(method)
        .pattern(first(key::PATTERN).unwrap())
        .url_scheme(first(key::URL_SCHEME).unwrap())
        .remote_addr(first(key::REMOTE_ADDR).unwrap())
        .headers(client.headers.iter().map(|(n, v)| (&n[..], &v[..])));
    if client.method.is_some() {
        builder = builder
            .version(&client.version)
            .uri(&client.uri)
            .query(client.query.as_deref())
            .fragment(client.fragment.as_deref());
    }
    for name in [
        key::DOWNLOAD_CREDITS,
        key::UPLOAD_STREAM,
        key::UPLOAD_STREAM_DONE,
        key::UPLOAD_START,
        key::UPLOAD_DONE,
    ] {
        if let Some(value) = first(name) {
            builder = builder.extra(name, value);
        }
    }
    let mut body = &client.body[..];
    if method == key::METHOD_WEBSOCKET {
        let flags = first(key::FLAGS).unwrap();
        let byte = u8::from_str_radix(std::str::from_utf8(&flags[2..]).unwrap(), 16).unwrap();
        builder = builder.websocket_frame(byte);
        body = frame.body;
    } else if method == key::METHOD_WEBSOCKET_HANDSHAKE
        || first(key::UPLOAD_START).is_some()
        || client.missing > 0
        || chunked(client)
    {
        // Mongrel2's own bytes: the accept key, or what it read of an upload so far.
        body = frame.body;
    }
    let built = builder.body(body).build().unwrap();
    built.request.encode(out);
}
