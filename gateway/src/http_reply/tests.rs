//! The parser against real Mongrel2 handler replies (fixtures/mongrel2-captures), split at
//! every byte offset, plus hostile input.

use std::path::Path;

use super::*;

const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/mongrel2-captures");

/// What a test checks of an event; bodies of consecutive `Body` events are merged, since how
/// a body is cut into events depends on how the bytes arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seen {
    Info(u16),
    Head(u16),
    Upgrade(u16),
    Body(Vec<u8>),
    End,
}

pub(super) fn view(events: &[Event]) -> Vec<Seen> {
    let mut seen: Vec<Seen> = Vec::new();
    for event in events {
        match (event, seen.last_mut()) {
            (Event::Body(data), Some(Seen::Body(acc))) => acc.extend_from_slice(data),
            (Event::Body(data), _) => seen.push(Seen::Body(data.to_vec())),
            (Event::Informational(head), _) => seen.push(Seen::Info(head.status.as_u16())),
            (Event::Head(head), _) => seen.push(Seen::Head(head.status.as_u16())),
            (Event::Upgrade(head), _) => seen.push(Seen::Upgrade(head.status.as_u16())),
            (Event::End, _) => seen.push(Seen::End),
        }
    }
    seen
}

/// Feeds `pieces` after expecting `requests`; an empty piece is the handler's close message.
pub(super) fn run(requests: &[RequestInfo], pieces: &[&[u8]]) -> (Vec<Seen>, Result<(), Error>) {
    let mut parser = Parser::new(Limits::default());
    let mut out = Vec::new();
    let result = requests
        .iter()
        .try_for_each(|&request| parser.expect(request, &mut out))
        .and_then(|()| {
            pieces.iter().try_for_each(|piece| {
                if piece.is_empty() {
                    parser.finish(&mut out)
                } else {
                    parser.feed(piece, &mut out)
                }
            })
        });
    (view(&out), result)
}

/// Splits a reply frame `UUID SP LEN ':' IDS ',' SP BODY` into ids and body; `None` for frames
/// Mongrel2 drops and for extended (`X`) messages.
fn split_reply(frame: &[u8]) -> Option<(String, Vec<u8>)> {
    let rest = &frame[frame.iter().position(|&b| b == b' ')? + 1..];
    let colon = rest.iter().position(|&b| b == b':')?;
    let len: usize = std::str::from_utf8(&rest[..colon]).ok()?.parse().ok()?;
    let ids = rest.get(colon + 1..colon + 1 + len)?;
    let body = rest.get(colon + 1 + len..)?.strip_prefix(b", ")?;
    let ids = String::from_utf8(ids.to_vec()).ok()?;
    (!ids.starts_with("X ")).then(|| (ids, body.to_vec()))
}

/// Reply bodies addressed to `conn_id` in `scenario`, in capture order.
fn replies(scenario: &Path, conn_id: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(scenario)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.to_string_lossy().contains("handler-to-m2")
                && path.extension().is_some_and(|e| e == "bin")
        })
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|path| split_reply(&std::fs::read(path).unwrap()))
        .filter(|(ids, _)| ids.split(' ').any(|id| id == conn_id))
        .map(|(_, body)| body)
        .collect()
}

const GET: RequestInfo = RequestInfo { head_method: false };
const HEAD: RequestInfo = RequestInfo { head_method: true };

fn response(body: &[u8]) -> Vec<Seen> {
    vec![Seen::Head(200), Seen::Body(body.to_vec()), Seen::End]
}

/// (scenario, conn id, requests, expected events) for the captured HTTP replies.
fn capture_cases() -> Vec<(&'static str, &'static str, Vec<RequestInfo>, Vec<Seen>)> {
    let ws = b"\x81\x0becho: Hello\x88\x02\x03\xe8".to_vec();
    vec![
        (
            "json-01-simple-get",
            "1",
            vec![GET],
            response(b"hello world\n"),
        ),
        (
            "json-09d-streaming-chunked-response",
            "18",
            vec![GET],
            response(b"chunk1chunk2chunk3"),
        ),
        ("json-05a-http10", "8", vec![GET], response(b"ten\n")),
        (
            "json-05b-http10-keepalive",
            "9",
            vec![GET; 2],
            [response(b"ka\n"), response(b"ka\n")].concat(),
        ),
        (
            "json-05c-http11-keepalive",
            "10",
            vec![GET; 3],
            [response(b"ka1\n"), response(b"ka2\n"), response(b"ka3\n")].concat(),
        ),
        (
            "json-05d-http11-pipelined",
            "11",
            vec![GET; 3],
            [
                response(b"/pipe/3\n"),
                response(b"/pipe/2\n"),
                response(b"/pipe/1\n"),
            ]
            .concat(),
        ),
        (
            "json-07-websocket",
            "13",
            vec![GET],
            vec![Seen::Upgrade(101), Seen::Body(ws), Seen::End],
        ),
        (
            "flow-01-download-credits",
            "1",
            vec![GET],
            response(b"0123456789"),
        ),
        (
            "json-09c-reply-to-two-conn-ids",
            "17",
            vec![GET],
            response(b"broadcast\n"),
        ),
        ("json-04c-upload-killed-by-handler", "7", vec![GET], vec![]),
    ]
}

#[test]
fn captured_replies_yield_the_expected_responses_at_every_split() {
    for (scenario, conn_id, requests, expected) in capture_cases() {
        let bodies = replies(&Path::new(CAPTURES).join(scenario), conn_id);
        let pieces: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
        assert_eq!(
            run(&requests, &pieces),
            (expected.clone(), Ok(())),
            "{scenario} as captured"
        );
        let stream: Vec<u8> = bodies.concat();
        let closes = bodies.last().is_some_and(Vec::is_empty);
        for cut in 0..=stream.len() {
            let (left, right) = stream.split_at(cut);
            let mut split = vec![left, right];
            split.retain(|piece| !piece.is_empty());
            if closes {
                split.push(b"");
            }
            assert_eq!(
                run(&requests, &split),
                (expected.clone(), Ok(())),
                "{scenario} cut at {cut}"
            );
        }
    }
}

#[test]
fn every_captured_http_reply_stream_parses_to_complete_responses() {
    let mut responses = 0;
    for scenario in std::fs::read_dir(CAPTURES).unwrap() {
        let scenario = scenario.unwrap().path();
        if !scenario.is_dir() {
            continue;
        }
        for conn_id in (0..30)
            .map(|id| id.to_string())
            .chain(["987654".to_owned()])
        {
            let bodies = replies(&scenario, &conn_id);
            // Streams that do not start with a response head are not HTTP (JSON sockets, the
            // deliberately malformed replies of json-09e) and are covered elsewhere.
            if !bodies
                .first()
                .is_some_and(|body| body.starts_with(b"HTTP/1."))
            {
                continue;
            }
            let heads = bodies
                .iter()
                .filter(|body| body.starts_with(b"HTTP/1."))
                .count();
            let pieces: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
            let (seen, result) = run(&vec![GET; heads], &pieces);
            assert_eq!(result, Ok(()), "{} conn {conn_id}", scenario.display());
            let count = |wanted: fn(&Seen) -> bool| seen.iter().filter(|s| wanted(s)).count();
            let heads_seen = count(|s| matches!(s, Seen::Head(_)));
            let upgrades = count(|s| matches!(s, Seen::Upgrade(_)));
            let at = format!("{} conn {conn_id}: {seen:?}", scenario.display());
            assert_eq!(heads_seen + upgrades, heads, "{at}");
            // Each body ended exactly where its Content-Length or chunking said.
            assert!(count(|s| *s == Seen::End) >= heads_seen, "{at}");
            responses += heads;
        }
    }
    assert!(responses >= 40, "only {responses} captured responses found");
}

#[test]
fn a_body_sent_for_head_is_left_over_and_reported_at_close() {
    let bodies = replies(&Path::new(CAPTURES).join("misc-04-odd-request-bytes"), "18");
    let pieces: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).chain([&b""[..]]).collect();
    let (seen, result) = run(&[HEAD], &pieces);
    assert_eq!(seen, [Seen::Head(200), Seen::End]);
    assert_eq!(
        result,
        Err(Error::UnexpectedBytes {
            limit: Limits::MAX_UNEXPECTED_BYTES
        })
    );
}

#[test]
fn captured_malformed_replies_are_typed_errors() {
    let bodies = replies(
        &Path::new(CAPTURES).join("json-09e-malformed-and-odd-replies"),
        "19",
    );
    let garbage = bodies
        .iter()
        .find(|body| body.as_slice() == b"PART1\n")
        .unwrap();
    assert_eq!(run(&[GET], &[garbage, b""]).1, Err(Error::TruncatedHead));
    assert!(matches!(
        run(&[GET], &[garbage, b"\r\n"]).1,
        Err(Error::BadStatusLine { .. })
    ));
}

#[test]
fn headers_reach_the_head_event() {
    let mut parser = Parser::new(Limits::default());
    let mut out = Vec::new();
    parser.expect(GET, &mut out).unwrap();
    let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Up: yes\r\n\r\n";
    parser.feed(reply, &mut out).unwrap();
    let Some(Event::Head(head)) = out.first() else {
        panic!("{out:?}")
    };
    assert_eq!(head.version, http::Version::HTTP_11);
    assert_eq!(head.headers.get("x-up").unwrap(), "yes");
    assert_eq!(head.reason, "OK");
    assert_eq!(parser.awaiting(), 1);
}
