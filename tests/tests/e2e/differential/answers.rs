//! What a client got: split into responses, and checked against the
//! recorder's answers (§1's differences on Scale0's side, each explicit).

use mongrel2_compat::request::{self, key, Request};
use scale0_tests::client::{find, response_len};
use scale0_tests::recorder::{answer, Frame};

use super::frames::text;
use super::peers::Side;
use super::Case;

/// The interim answer to `Expect: 100-continue` (identical on both servers).
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// One HTTP response as the client read it.
#[derive(Debug)]
pub(super) struct Response {
    pub(super) version: String,
    pub(super) status: u16,
    pub(super) reason: String,
    /// Names as written, values trimmed.
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

/// Length of the first complete response; responses to HEAD end with their
/// head (interim ones always do).
fn response_end(bytes: &[u8], head: bool) -> Option<usize> {
    let head_end = find(bytes, b"\r\n\r\n")? + 4;
    let interim = bytes.get(9) == Some(&b'1');
    if head && !interim {
        Some(head_end)
    } else {
        response_len(bytes)
    }
}

/// How many complete responses `bytes` holds.
pub(super) fn count(mut bytes: &[u8], head: bool) -> usize {
    let mut n = 0;
    while let Some(len) = response_end(bytes, head) {
        bytes = &bytes[len..];
        n += 1;
    }
    n
}

/// Splits `bytes` into responses; panics on a trailing incomplete one.
pub(super) fn parse_all(mut bytes: &[u8], head: bool) -> Vec<Response> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let len = response_end(bytes, head)
            .unwrap_or_else(|| panic!("incomplete response: {}", text(bytes)));
        let head_end = find(bytes, b"\r\n\r\n").unwrap_or(len);
        let head_text = text(&bytes[..head_end]);
        let mut lines = head_text.split("\r\n");
        let mut status_line = lines.next().unwrap_or_default().splitn(3, ' ');
        let mut field = || status_line.next().unwrap_or_default().to_string();
        let (version, status, reason) = (field(), field(), field());
        let headers = lines.filter_map(|l| l.split_once(':'));
        out.push(Response {
            version,
            status: status.parse().unwrap_or_default(),
            reason,
            headers: headers
                .map(|(n, v)| (n.to_string(), v.trim().to_string()))
                .collect(),
            body: bytes[(head_end + 4).min(len)..len].to_vec(),
        });
        bytes = &bytes[len..];
    }
    out
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's IMF-fixdate), loosely.
fn is_http_date(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 29 && value.ends_with(" GMT") && b[3] == b',' && b[19] == b':' && b[22] == b':'
}

impl Side {
    /// The client got exactly the recorder's answers to `requests`: verbatim
    /// from Mongrel2, and from Scale0 with §1's differences.
    pub(super) fn assert_answers(
        &self,
        what: &str,
        case: &Case,
        requests: &[Frame],
        client: &[u8],
    ) {
        let decoded: Vec<Request<'_>> = requests
            .iter()
            .map(|f| request::decode(&f.bytes).unwrap())
            .collect();
        let mut expected = if case.interim {
            CONTINUE.to_vec()
        } else {
            Vec::new()
        };
        for req in &decoded {
            expected.extend(answer(req));
        }
        if self.verbatim {
            assert_eq!(
                text(client),
                text(&expected),
                "{what}: handler bytes written verbatim"
            );
            return;
        }
        let want = parse_all(&expected, case.head);
        let got = parse_all(client, case.head);
        assert_eq!(got.len(), want.len(), "{what}: {}", text(client));
        let mut versions = decoded.iter().map(|r| r.headers.get_str(key::VERSION));
        for (got, want) in got.iter().zip(&want) {
            let interim = want.status / 100 == 1;
            let http10 = !interim && versions.next().flatten() == Some("HTTP/1.0");
            // §1: an HTTP/1.0 request gets an HTTP/1.0 status line.
            let version = if http10 { "HTTP/1.0" } else { "HTTP/1.1" };
            assert_eq!(got.version, version, "{what}: {got:?}");
            // §1: header names are written lower-case.
            let lower = got
                .headers
                .iter()
                .all(|(n, _)| *n == n.to_ascii_lowercase());
            assert!(lower, "{what}: {got:?}");
            // §1: one Date on every final response.
            let is_date = |(n, _): &&(String, String)| n == "date";
            let dates: Vec<_> = got.headers.iter().filter(is_date).collect();
            assert_eq!(dates.len(), usize::from(!interim), "{what}: {got:?}");
            assert!(
                dates.iter().all(|(_, v)| is_http_date(v)),
                "{what}: {dates:?}"
            );
            // Everything else is the handler's, in order.
            let rest: Vec<_> = got
                .headers
                .iter()
                .filter(|h| !is_date(h))
                .cloned()
                .collect();
            let handler: Vec<_> = want
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .collect();
            assert_eq!(
                (got.status, &got.reason, &rest, text(&got.body)),
                (want.status, &want.reason, &handler, text(&want.body)),
                "{what}"
            );
        }
    }
}
