//! The tables: client request bytes from the captures
//! (fixtures/mongrel2-captures, `*client-to-m2*.bin`) and our own, with what
//! each server should do with them.

use super::{get, Case, Diff, Outcome};

const J02: &str = "json-02-get-query-repeated-headers/01-client-to-m2.bin";
const J05C: &str = "json-05c-http11-keepalive";
const PIPELINED: &str = "json-05d-http11-pipelined/01-client-to-m2.bin";
const T02: &str = "tnet-02-get-query-repeated-headers/01-client-to-m2.bin";

/// `misc-04-odd-request-bytes/<file>`.
fn m4(file: &str) -> String {
    format!("misc-04-odd-request-bytes/{file}")
}

/// `err-04-error-responses/<file>`.
fn e4(file: &str) -> String {
    format!("err-04-error-responses/{file}")
}

/// Six values of one header in mixed case (Mongrel2 keeps five).
fn six_repeats() -> Vec<u8> {
    let values = ["1", "2", "3", "4", "5", "6"];
    let names = ["X-R", "x-r", "X-R", "X-r", "X-R", "X-R"];
    let mut headers: Vec<(&str, &str)> = names.into_iter().zip(values).collect();
    headers.extend([("Accept", "a"), ("Accept", "b")]);
    get("/rep", &headers)
}

/// Requests both servers forward (json protocol).
pub(super) fn forwarded() -> Vec<Case> {
    let long_cookie = format!("{}c=1", "c=1; ".repeat(100));
    let long = get(
        "/long",
        &[("X-Long", &"v".repeat(3000)), ("Cookie", &long_cookie)],
    );
    let empty_query =
        b"POST /submit? HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello";
    vec![
        Case::captured("json-01 GET", "json-01-simple-get/01-client-to-m2.bin", 1),
        Case::captured("json-02 query, fragment, repeats", J02, 1)
            .diffs(&[Diff::NoFragment, Diff::TrimmedValues]),
        Case::captured(
            "json-02b seven repeats",
            "json-02b-header-dupe-limit/01-client-to-m2.bin",
            1,
        ),
        Case::captured(
            "json-03 form",
            "json-03-post-small-body/01-client-to-m2.bin",
            1,
        )
        .then(
            "json-03-post-small-body/05-client-to-m2-second-request-same-conn.bin",
            1,
        ),
        Case::captured(
            "json-05b HTTP/1.0 keep-alive",
            "json-05b-http10-keepalive/01-client-to-m2-req1.bin",
            1,
        )
        .then("json-05b-http10-keepalive/05-client-to-m2-req2.bin", 1),
        Case::captured(
            "json-05c keep-alive",
            &format!("{J05C}/01-client-to-m2-req1.bin"),
            1,
        )
        .then(&format!("{J05C}/05-client-to-m2-req2.bin"), 1),
        Case::captured("json-05d pipelined", PIPELINED, 3),
        Case::captured(
            "misc-04 TAB and 0xff",
            &m4("01-client-to-m2-tab-and-0xff.bin"),
            1,
        ),
        Case::captured(
            "misc-04 empty query",
            &m4("06-client-to-m2-empty-query.bin"),
            1,
        ),
        Case::captured(
            "misc-04 empty fragment",
            &m4("11-client-to-m2-empty-fragment.bin"),
            1,
        )
        .diffs(&[Diff::NoFragment]),
        Case::captured(
            "misc-04 no Host",
            &m4("16-client-to-m2-http11-no-host.bin"),
            1,
        ),
        Case::captured(
            "misc-04 WebSocket, no version",
            &m4("23-client-to-m2-ws-missing-version.bin"),
            1,
        ),
        Case::captured("misc-04 DELETE", &m4("28-client-to-m2-delete.bin"), 1),
        Case::captured("misc-04 HEAD", &m4("33-client-to-m2-head.bin"), 1).head(),
        Case::captured(
            "err-04 unknown host",
            &e4("01-client-to-m2-404-no-route.bin"),
            1,
        ),
        Case::captured(
            "err-04 3900-byte header",
            &e4("17-client-to-m2-ok-header-3900-bytes.bin"),
            1,
        ),
        Case::captured(
            "err-04 1000-byte path",
            &e4("28-client-to-m2-long-path-1000.bin"),
            1,
        ),
        Case::captured(
            "err-04 absolute form",
            &e4("31-client-to-m2-absolute-uri.bin"),
            1,
        )
        .diffs(&[Diff::AbsoluteForm]),
        Case::captured(
            "err-04 LF line ends",
            &e4("34-client-to-m2-lf-only-line-endings.bin"),
            1,
        ),
        Case::captured(
            "err-04 PURGE2",
            &e4("37-client-to-m2-method-20-upper-digits.bin"),
            1,
        ),
        Case {
            interim: true,
            ..Case::captured(
                "err-04 100-continue",
                &e4("45-client-to-m2-expect-100-headers.bin"),
                1,
            )
            .then(&e4("47-client-to-m2-expect-100-body.bin"), 1)
            .outcomes(Outcome::Forwarded(1), Outcome::Forwarded(1))
        },
        Case::new("long values", long, 1),
        Case::new("six repeats", six_repeats(), 1),
        Case::new("empty query with a body", empty_query.to_vec(), 1),
        Case::new(
            "percent-encoded path",
            get("/a%20b/%2Fc%41%3F?x=%26y%3D1&z", &[]),
            1,
        ),
        Case::new("dot segments", get("/app/../etc/passwd", &[]), 1),
    ]
}

/// Requests after which the handler answers and then sends the close
/// message (HTTP/1.0, `Connection: close`).
pub(super) fn closing() -> Vec<Case> {
    let head10 = b"HEAD /h?x=1 HTTP/1.0\r\nHost: localhost\r\n\r\n";
    vec![
        Case::captured(
            "json-05a HTTP/1.0",
            "json-05a-http10/01-client-to-m2.bin",
            1,
        ),
        Case::captured(
            "json-05c keep-alive, close",
            &format!("{J05C}/01-client-to-m2-req1.bin"),
            1,
        )
        .then(&format!("{J05C}/05-client-to-m2-req2.bin"), 1)
        .then(&format!("{J05C}/09-client-to-m2-req3-conn-close.bin"), 1),
        Case::new("HEAD HTTP/1.0 with query", head10.to_vec(), 1).head(),
    ]
}

/// The same kinds of requests with `protocol = "tnetstring"`.
pub(super) fn tnetstring() -> Vec<Case> {
    vec![
        Case::captured("tnet-02 query, fragment, repeats", T02, 1)
            .diffs(&[Diff::NoFragment, Diff::TrimmedValues]),
        Case::captured(
            "tnet-03 form",
            "tnet-03-post-small-body/01-client-to-m2-req1.bin",
            1,
        )
        .then("tnet-03-post-small-body/05-client-to-m2-req2.bin", 1),
        Case::captured("json-05d pipelined", PIPELINED, 3),
        Case::captured("misc-04 HEAD", &m4("33-client-to-m2-head.bin"), 1).head(),
        Case::new("six repeats", six_repeats(), 1),
    ]
}

/// Requests both servers refuse before the handler (§5).
pub(super) fn refused_by_both() -> Vec<Case> {
    let f = super::fixture;
    let big_body = b"POST /app HTTP/1.1\r\nHost: localhost\r\nContent-Length: 30000\r\n\r\n";
    let big_head = get("/big", &[("X-Big", &"y".repeat(20_000))]);
    vec![
        Case::refused(
            "misc-04 OPTIONS *",
            f(&m4("21-client-to-m2-options-star.bin")),
            404,
            404,
        ),
        Case::refused(
            "err-04 HTTP/2.0",
            f(&e4("05-client-to-m2-400-http-2.0.bin")),
            400,
            400,
        ),
        Case::refused(
            "err-04 space in path",
            f(&e4("07-client-to-m2-400-space-in-path.bin")),
            400,
            400,
        ),
        Case::refused(
            "err-04 garbage",
            f(&e4("11-client-to-m2-400-garbage.bin")),
            400,
            400,
        ),
        Case::refused(
            "err-04 no colon",
            f(&e4("13-client-to-m2-400-header-no-colon.bin")),
            400,
            400,
        ),
        Case::refused(
            "err-04 folded header",
            f(&e4("43-client-to-m2-folded-header.bin")),
            400,
            400,
        ),
        Case::refused(
            "err-04 Expect: something",
            f(&e4("24-client-to-m2-417-expect-other.bin")),
            417,
            417,
        ),
        Case::refused("body over the limit", big_body.to_vec(), 413, 413),
        Case::refused("20000-byte header", big_head, 400, 431),
    ]
}

/// Requests one server refuses and the other forwards (§6–§10).
pub(super) fn refused_by_one() -> Vec<Case> {
    let refused = |status, requests| Outcome::Refused { status, requests };
    let one = Outcome::Forwarded(1);
    let case = |name, file: &str| Case::captured(name, file, 1);
    vec![
        case(
            "err-04 lower-case method",
            &e4("03-client-to-m2-400-lowercase-method.bin"),
        )
        .outcomes(refused(400, 0), one)
        .diffs(&[Diff::Lenient]),
        case(
            "err-04 braces in path",
            &e4("09-client-to-m2-400-curly-brace-in-uri.bin"),
        )
        .outcomes(refused(400, 0), one)
        .diffs(&[Diff::Lenient]),
        case(
            "err-04 5000-byte header",
            &e4("15-client-to-m2-400-header-5000-bytes.bin"),
        )
        .outcomes(refused(400, 0), one)
        .diffs(&[Diff::HeadLimit]),
        case(
            "err-04 chunked body",
            &e4("22-client-to-m2-413-chunked-body-no-temp-store.bin"),
        )
        .outcomes(refused(413, 0), one)
        .diffs(&[Diff::ChunkedInline]),
        case(
            "err-04 Content-Length: abc",
            &e4("40-client-to-m2-content-length-garbage.bin"),
        )
        .outcomes(one, refused(400, 0))
        .diffs(&[Diff::ContentLength]),
        // Mongrel2 forwards the first 3 bytes as the body, then refuses the rest.
        case(
            "misc-04 two Content-Lengths",
            &m4("38-client-to-m2-duplicate-content-length.bin"),
        )
        .outcomes(refused(400, 1), refused(400, 0))
        .diffs(&[Diff::ContentLength]),
    ]
}
