//! Generated responses split at random offsets, and hostile input: caps hold, errors are
//! typed, nothing panics.

use proptest::prelude::*;

use super::tests::{run, view, Seen};
use super::*;

/// One generated response and the request it answers.
#[derive(Debug, Clone)]
struct Generated {
    request: RequestInfo,
    informational: bool,
    status: u16,
    chunks: Option<Vec<usize>>,
    body: Vec<u8>,
}

impl Generated {
    fn bodiless(&self) -> bool {
        self.request.head_method || self.status == 204 || self.status == 304
    }

    fn write(&self, wire: &mut Vec<u8>) {
        if self.informational {
            wire.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        wire.extend_from_slice(
            format!("HTTP/1.1 {} Whatever\r\nX-Gen: 1\r\n", self.status).as_bytes(),
        );
        let body: &[u8] = if self.bodiless() { b"" } else { &self.body };
        let Some(sizes) = &self.chunks else {
            wire.extend_from_slice(
                format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes(),
            );
            return wire.extend_from_slice(body);
        };
        wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
        if self.bodiless() {
            return;
        }
        let mut rest = body;
        for &size in sizes.iter().chain([&usize::MAX]) {
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            if !chunk.is_empty() {
                wire.extend_from_slice(format!("{:x};ext=1\r\n", chunk.len()).as_bytes());
                wire.extend_from_slice(chunk);
                wire.extend_from_slice(b"\r\n");
            }
            rest = tail;
        }
        wire.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
    }

    fn expected(&self, seen: &mut Vec<Seen>) {
        if self.informational {
            seen.push(Seen::Info(100));
        }
        seen.push(Seen::Head(self.status));
        if !self.bodiless() && !self.body.is_empty() {
            seen.push(Seen::Body(self.body.clone()));
        }
        seen.push(Seen::End);
    }
}

fn generated() -> impl Strategy<Value = Generated> {
    let status = prop::sample::select(vec![200u16, 201, 204, 304, 404, 500]);
    let chunks = prop::option::of(prop::collection::vec(1usize..40, 0..8));
    let body = prop::collection::vec(any::<u8>(), 0..200);
    (any::<bool>(), any::<bool>(), status, chunks, body).prop_map(
        |(head_method, informational, status, chunks, body)| Generated {
            request: RequestInfo { head_method },
            informational,
            status,
            chunks,
            body,
        },
    )
}

/// `wire` cut at the given offsets (taken modulo its length).
fn cut<'a>(wire: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut offsets: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    offsets.sort_unstable();
    let mut pieces = Vec::new();
    let mut from = 0;
    for to in offsets.into_iter().chain([wire.len()]) {
        pieces.push(&wire[from..to]);
        from = to;
    }
    pieces.retain(|piece| !piece.is_empty());
    pieces
}

proptest! {
    #[test]
    fn pipelined_responses_parse_the_same_however_split(
        responses in prop::collection::vec(generated(), 1..5),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for response in &responses {
            response.write(&mut wire);
            response.expected(&mut expected);
        }
        let requests: Vec<RequestInfo> = responses.iter().map(|r| r.request).collect();
        prop_assert_eq!(run(&requests, &cut(&wire, &cuts)), (expected, Ok(())));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), cuts in prop::collection::vec(any::<usize>(), 0..6)) {
        let _ = run(&[RequestInfo::default(); 2], &cut(&bytes, &cuts));
        let chunked = [&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"[..], &bytes].concat();
        let _ = run(&[RequestInfo::default()], &cut(&chunked, &cuts));
    }
}

#[test]
fn huge_chunk_sizes_are_rejected() {
    let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n";
    let (seen, result) = run(&[RequestInfo::default()], &[reply]);
    assert_eq!(seen, [Seen::Head(200)]);
    assert!(matches!(result, Err(Error::BadChunk { .. })));
}

#[test]
fn ten_thousand_headers_are_too_many() {
    let reply = [
        &b"HTTP/1.1 200 OK\r\n"[..],
        &b"a: b\r\n".repeat(10_000),
        b"\r\n",
    ]
    .concat();
    let result = run(&[RequestInfo::default()], &[&reply]).1;
    assert_eq!(
        result,
        Err(Error::TooManyHeaders {
            limit: Limits::MAX_HEADERS
        })
    );
}

/// Heads up to the field limit parse whole, on either side of the stack slots; one more field is
/// refused, at the default limit and at limits below and above the stack slots.
#[test]
fn the_field_limit_holds_around_the_stack_slots() {
    let head = |fields: usize| {
        let lines: Vec<u8> = (0..fields)
            .flat_map(|i| format!("x-{i}: {i}\r\n").into_bytes())
            .collect();
        Bytes::from([&b"HTTP/1.1 200 OK\r\n"[..], &lines, b"\r\n"].concat())
    };
    for max_headers in [5, 16, 17, Limits::MAX_HEADERS] {
        let limits = Limits {
            max_headers,
            ..Limits::default()
        };
        for fields in [0, 1, 15, 16, 17, max_headers] {
            if fields > max_headers {
                continue;
            }
            let parsed = head::parse(&head(fields), &limits).unwrap();
            assert_eq!(parsed.headers.len(), fields, "{fields} of {max_headers}");
            if fields > 0 {
                let last = format!("x-{}", fields - 1);
                assert!(parsed.headers.contains_key(last.as_str()));
            }
        }
        assert_eq!(
            head::parse(&head(max_headers + 1), &limits).unwrap_err(),
            Error::TooManyHeaders { limit: max_headers }
        );
    }
}

#[test]
fn oversized_heads_fail_as_soon_as_the_cap_is_passed() {
    let limit = Limits::MAX_HEAD_BYTES;
    let endless = [&b"HTTP/1.1 200 OK\r\nX-Big: "[..], &vec![b'x'; limit]].concat();
    let pieces: Vec<&[u8]> = endless.chunks(1000).collect();
    assert_eq!(
        run(&[RequestInfo::default()], &pieces).1,
        Err(Error::HeadTooLarge { limit })
    );
    let complete = [&endless[..], b"\r\n\r\n"].concat();
    assert_eq!(
        run(&[RequestInfo::default()], &[&complete]).1,
        Err(Error::HeadTooLarge { limit })
    );
}

#[test]
fn garbage_is_a_bad_status_line_and_the_error_sticks() {
    let mut parser = Parser::new(Limits::default());
    let mut out = Vec::new();
    parser.expect(RequestInfo::default(), &mut out).unwrap();
    let error = parser
        .feed(b"\x00\xffgarbage\r\n\r\n", &mut out)
        .unwrap_err();
    assert!(matches!(error, Error::BadStatusLine { .. }));
    assert_eq!(
        parser.feed(b"HTTP/1.1 200 OK\r\n\r\n", &mut out),
        Err(error.clone())
    );
    assert_eq!(parser.finish(&mut out), Err(error));
    assert!(out.is_empty());
}

#[test]
fn a_response_completed_before_bad_bytes_is_still_delivered() {
    let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
    let (seen, result) = run(&[RequestInfo::default(); 2], &[reply]);
    assert_eq!(
        seen,
        [Seen::Head(200), Seen::Body(b"ok".to_vec()), Seen::End]
    );
    assert!(matches!(result, Err(Error::ConflictingLength { .. })));
}

#[test]
fn truncated_bodies_are_reported_at_close() {
    let length = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc";
    assert_eq!(
        run(&[RequestInfo::default()], &[length, b""]).1,
        Err(Error::TruncatedBody)
    );
    let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n";
    assert_eq!(
        run(&[RequestInfo::default()], &[chunked, b""]).1,
        Err(Error::TruncatedBody)
    );
}

#[test]
fn read_until_close_body_ends_at_finish() {
    let reply = b"HTTP/1.0 200 OK\r\n\r\nstreamed until close";
    let (seen, result) = run(&[RequestInfo::default()], &[reply, b""]);
    assert_eq!(
        seen,
        [
            Seen::Head(200),
            Seen::Body(b"streamed until close".to_vec()),
            Seen::End
        ]
    );
    assert_eq!(result, Ok(()));
}

#[test]
fn bytes_ahead_of_expect_wait_for_it_up_to_a_cap() {
    let mut parser = Parser::new(Limits::default());
    let mut out = Vec::new();
    parser
        .feed(b"HTTP/1.1 204 No Content\r\n\r\n", &mut out)
        .unwrap();
    assert!(out.is_empty());
    parser.expect(RequestInfo::default(), &mut out).unwrap();
    assert_eq!(view(&out), [Seen::Head(204), Seen::End]);
    let flood = vec![b'x'; Limits::MAX_UNEXPECTED_BYTES + 1];
    let limit = Limits::MAX_UNEXPECTED_BYTES;
    assert_eq!(
        parser.feed(&flood, &mut out),
        Err(Error::UnexpectedBytes { limit })
    );
}

#[test]
fn pending_responses_are_bounded_and_close_is_final() {
    let limits = Limits {
        max_pending: 2,
        ..Limits::default()
    };
    let mut parser = Parser::new(limits);
    let mut out = Vec::new();
    parser.expect(RequestInfo::default(), &mut out).unwrap();
    parser.expect(RequestInfo::default(), &mut out).unwrap();
    let result = parser.expect(RequestInfo::default(), &mut out);
    assert_eq!(result, Err(Error::TooManyPending { limit: 2 }));
    let mut fresh = Parser::new(limits);
    fresh.finish(&mut out).unwrap();
    assert_eq!(
        fresh.feed(b"HTTP/1.1 200 OK\r\n\r\n", &mut out),
        Err(Error::AfterClose)
    );
}
