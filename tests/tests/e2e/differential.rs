//! Issue 3, the differential test: the same client bytes go through the real
//! Mongrel2 and through Scale0, each with its own recording handler
//! (`scale0_tests::recorder`). The handler must receive the same frames from
//! both (byte for byte after `normalise`), and each client must get the
//! handler's answers; every way Scale0 differs on purpose is a section of
//! docs/differences.md, named by a [`Diff`] and checked explicitly here.

use std::time::Duration;

use mongrel2_compat::handler::should_close;
use mongrel2_compat::request::{self, key, HeaderValue, Headers, Request};
use scale0_tests::client::{find, response_len, Conn};
use scale0_tests::gateway::{handler_config, Gateway};
use scale0_tests::mongrel2::{Mongrel2, Options};
use scale0_tests::recorder::{answer, normalise, Closing, Frame, Recorder};
use scale0_tests::wait;

/// Deadline for any one expected event (a response, a frame, EOF).
const EVENT: Duration = Duration::from_secs(5);
/// How long a probe waits for its answer before trying on a new connection.
const PROBE_WAIT: Duration = Duration::from_millis(250);
/// How long "nothing happens" is watched for in the timing stories.
const QUIET: Duration = Duration::from_millis(400);
/// The interim answer to `Expect: 100-continue` (identical on both servers).
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Intended differences, each a section of docs/differences.md. Those every
/// response shows (`Date`, lower-case names, HTTP/1.0 status line: §1) are
/// checked on every Scale0 answer and not listed per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Diff {
    /// §2: no `FRAGMENT` key (hyper drops `#...` from the request target).
    NoFragment,
    /// §3: trailing spaces and tabs of header values are trimmed.
    TrimmedValues,
    /// §4: an absolute-form target gives PATH/URI from its path, not `//host/...`.
    AbsoluteForm,
    /// §5: both reject; Scale0's status and body are its own (same class).
    ErrorAnswers,
    /// §6: request bytes Mongrel2 refuses with 400 that Scale0 forwards.
    Lenient,
    /// §7: the request head limit is `max_header_bytes` (431), not 4 KiB (400).
    HeadLimit,
    /// §8: a small chunked body is de-chunked and sent inline, not 413.
    ChunkedInline,
    /// §9: an `Expect` other than `100-continue` is ignored, not 417.
    ExpectIgnored,
    /// §10: invalid or conflicting Content-Length is a 400 before the handler.
    ContentLength,
}

impl Diff {
    /// Whether this difference makes the two servers' outcomes differ.
    fn splits_outcomes(self) -> bool {
        matches!(
            self,
            Diff::Lenient
                | Diff::HeadLimit
                | Diff::ChunkedInline
                | Diff::ExpectIgnored
                | Diff::ContentLength
        )
    }
}

/// What one server does with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// This many request frames reach the handler, and the client gets
    /// exactly the handler's answers.
    Forwarded(usize),
    /// The client gets `status` (last), then EOF; `requests` frames reached
    /// the handler before that.
    Rejected { status: u16, requests: usize },
}

/// One row of the table.
struct Case {
    name: &'static str,
    /// Client writes, each with the complete responses it brings.
    writes: Vec<(Vec<u8>, usize)>,
    /// HEAD requests: responses end with their head.
    head: bool,
    /// The first write is answered `100 Continue` before the body is sent.
    interim: bool,
    mongrel2: Outcome,
    scale0: Outcome,
    diffs: &'static [Diff],
}

impl Case {
    /// One write of `bytes` holding `requests` requests, forwarded by both.
    fn new(name: &'static str, bytes: Vec<u8>, requests: usize) -> Case {
        Case {
            name,
            writes: vec![(bytes, requests)],
            head: false,
            interim: false,
            mongrel2: Outcome::Forwarded(requests),
            scale0: Outcome::Forwarded(requests),
            diffs: &[],
        }
    }

    /// One request both servers reject before the handler.
    fn rejected(name: &'static str, bytes: Vec<u8>, mongrel2: u16, scale0: u16) -> Case {
        let reject = |status| Outcome::Rejected {
            status,
            requests: 0,
        };
        Case::new(name, bytes, 1)
            .outcomes(reject(mongrel2), reject(scale0))
            .diffs(&[Diff::ErrorAnswers])
    }

    /// A further write on the same connection bringing `responses` responses.
    fn then(mut self, bytes: Vec<u8>, responses: usize) -> Case {
        self.writes.push((bytes, responses));
        let more = |o| match o {
            Outcome::Forwarded(n) => Outcome::Forwarded(n + responses),
            rejected => rejected,
        };
        self.mongrel2 = more(self.mongrel2);
        self.scale0 = more(self.scale0);
        self
    }

    fn outcomes(mut self, mongrel2: Outcome, scale0: Outcome) -> Case {
        self.mongrel2 = mongrel2;
        self.scale0 = scale0;
        self
    }

    fn diffs(mut self, diffs: &'static [Diff]) -> Case {
        self.diffs = diffs;
        self
    }
}

fn fixture(scenario: &str, file: &str) -> Vec<u8> {
    let path = scale0_tests::repo_root()
        .join("fixtures/mongrel2-captures")
        .join(scenario)
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A GET of `path` with the given extra header lines.
fn get(path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut text = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// Both servers, each with its recording handler, answering.
struct Peers {
    mongrel2: Side,
    scale0: Side,
    _servers: (Mongrel2, Gateway, tempfile::TempDir),
}

/// One server as the test sees it.
struct Side {
    name: &'static str,
    port: u16,
    recorder: Recorder,
    /// Mongrel2 writes the handler's bytes to the client as they are.
    verbatim: bool,
}

impl Peers {
    /// Starts both servers for `protocol` (Scale0 with `defaults` added to
    /// its `[defaults]`) and waits until each answers through its recorder.
    fn start(protocol: &str, closing: Closing, defaults: &str) -> Peers {
        let (mongrel2, gateway, dir) = servers(protocol, defaults);
        let (send, recv) = specs(&dir);
        let peers = Peers {
            mongrel2: Side {
                name: "Mongrel2",
                port: mongrel2.http_port,
                recorder: Recorder::start(&mongrel2.send_spec, &mongrel2.recv_spec, closing)
                    .unwrap(),
                verbatim: true,
            },
            scale0: Side {
                name: "Scale0",
                port: gateway.port(),
                recorder: Recorder::start(&send, &recv, closing).unwrap(),
                verbatim: false,
            },
            _servers: (mongrel2, gateway, dir),
        };
        peers.mongrel2.wait_ready();
        peers.scale0.wait_ready();
        peers
    }

    /// Runs `case` through both servers and checks everything it promises.
    fn check(&self, case: &Case) {
        let splits = case.diffs.iter().any(|d| d.splits_outcomes());
        assert_eq!(
            splits,
            !same_kind(case.mongrel2, case.scale0),
            "{}: outcomes differ exactly when a listed difference says so",
            case.name
        );
        let m2 = self.mongrel2.exchange(case, case.mongrel2);
        let s0 = self.scale0.exchange(case, case.scale0);
        match (case.mongrel2, case.scale0) {
            (Outcome::Forwarded(_), Outcome::Forwarded(_)) => {
                for diff in case.diffs {
                    assert!(
                        m2.iter()
                            .any(|f| as_scale0_sends(&f.bytes, &[*diff]) != f.bytes),
                        "{}: {diff:?} is listed but changes no frame",
                        case.name
                    );
                }
                let want: Vec<Vec<u8>> = m2
                    .iter()
                    .map(|f| normalise(&as_scale0_sends(&f.bytes, case.diffs)))
                    .collect();
                let got: Vec<Vec<u8>> = s0.iter().map(|f| normalise(&f.bytes)).collect();
                assert_eq!(lossy(&got), lossy(&want), "{}: handler frames", case.name);
            }
            (Outcome::Rejected { status: a, .. }, Outcome::Rejected { status: b, .. }) => {
                assert_eq!(a / 100, b / 100, "{}: same status class", case.name);
            }
            _ => {}
        }
        assert!(
            self.mongrel2.recorder.errors().is_empty(),
            "{:?}",
            self.mongrel2.recorder.errors()
        );
        assert!(
            self.scale0.recorder.errors().is_empty(),
            "{:?}",
            self.scale0.recorder.errors()
        );
    }
}

/// Whether two outcomes involve the handler in the same way (statuses of
/// rejections may differ: §5).
fn same_kind(a: Outcome, b: Outcome) -> bool {
    match (a, b) {
        (Outcome::Forwarded(x), Outcome::Forwarded(y)) => x == y,
        (Outcome::Rejected { requests: x, .. }, Outcome::Rejected { requests: y, .. }) => x == y,
        _ => false,
    }
}

fn specs(dir: &tempfile::TempDir) -> (String, String) {
    let at = |name: &str| format!("ipc://{}/{name}", dir.path().display());
    (at("send"), at("recv"))
}

/// Mongrel2 and Scale0 with the same handler config, no handler connected.
fn servers(protocol: &str, defaults: &str) -> (Mongrel2, Gateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (send, recv) = specs(&dir);
    let options = Options {
        protocol: protocol.into(),
        ..Options::default()
    };
    let mongrel2 = Mongrel2::start(options).unwrap();
    let gateway = Gateway::start(&handler_config(&send, &recv, protocol, defaults)).unwrap();
    (mongrel2, gateway, dir)
}

impl Side {
    /// Readiness probe: a request on a fresh connection until one is answered
    /// (replies published before the server's SUB has seen our PUB are lost).
    fn wait_ready(&self) {
        let probe = get("/probe", &[]);
        wait::until(
            &format!("{} to answer through its recorder", self.name),
            EVENT * 2,
            || {
                let mut conn = Conn::connect(self.port).ok()?;
                conn.send(&probe).ok()?;
                conn.read_response(PROBE_WAIT).ok()
            },
        )
        .unwrap();
    }

    /// The highest conn id the recorder has seen: later connections are above.
    fn watermark(&self) -> u64 {
        self.recorder
            .frames()
            .iter()
            .filter_map(|f| f.conn_id)
            .max()
            .unwrap_or(0)
    }

    /// Sends the case's writes on one connection, reading the responses each
    /// brings when the case is forwarded.
    fn send(&self, case: &Case, outcome: Outcome) -> (Conn, Vec<u8>) {
        let mut conn = Conn::connect(self.port).unwrap();
        let mut client = Vec::new();
        let mut responses = 0;
        for (bytes, brings) in &case.writes {
            conn.send(bytes).unwrap();
            if matches!(outcome, Outcome::Forwarded(_)) {
                responses += brings;
                let before = client.clone();
                let more = conn
                    .read_until(EVENT, |b| {
                        count(&[&before[..], b].concat(), case.head) >= responses
                    })
                    .unwrap_or_else(|e| panic!("{} on {}: {e}", case.name, self.name));
                client.extend(more);
            }
        }
        (conn, client)
    }

    /// Waits for `n` request frames on connections above `after`.
    fn requests(&self, what: &str, after: u64, n: usize) -> Vec<Frame> {
        let mine = |f: &Frame| f.conn_id.is_some_and(|id| id > after) && !is_notice(f);
        let frames = self
            .recorder
            .wait_until(what, EVENT, |fs| fs.iter().filter(|f| mine(f)).count() >= n)
            .unwrap();
        let frames: Vec<Frame> = frames.into_iter().filter(mine).collect();
        assert_eq!(frames.len(), n, "{what}: request frames {:#?}", frames);
        assert!(
            frames.windows(2).all(|w| w[0].conn_id == w[1].conn_id),
            "{what}: one connection, one conn id"
        );
        frames
    }

    /// Waits for the disconnect notice of `frames`' connection and returns
    /// every frame of that connection.
    fn with_notice(&self, what: &str, frames: &[Frame]) -> Vec<Frame> {
        let id = frames.first().and_then(|f| f.conn_id);
        let all = self
            .recorder
            .wait_until(what, EVENT, |fs| {
                fs.iter().any(|f| f.conn_id == id && is_notice(f))
            })
            .unwrap();
        all.into_iter().filter(|f| f.conn_id == id).collect()
    }

    /// Runs one case on this server: the client's bytes are checked here,
    /// the handler frames of the connection are returned (notices included
    /// when forwarded, request frames only when rejected).
    fn exchange(&self, case: &Case, outcome: Outcome) -> Vec<Frame> {
        let what = format!("{} on {}", case.name, self.name);
        let after = self.watermark();
        let (mut conn, mut client) = self.send(case, outcome);
        match outcome {
            Outcome::Rejected { status, requests } => {
                client.extend(conn.read_to_eof(EVENT).unwrap());
                let last = parse_all(&client, false).pop();
                assert_eq!(
                    last.map(|r| r.status),
                    Some(status),
                    "{what}: {}",
                    text(&client)
                );
                self.requests(&what, after, requests)
            }
            Outcome::Forwarded(n) => {
                let requests = self.requests(&what, after, n);
                self.assert_answers(&what, case, &requests, &client);
                let last = requests.last().map(|f| request::decode(&f.bytes).unwrap());
                if last.as_ref().is_some_and(should_close) {
                    let rest = conn.read_to_eof(EVENT).unwrap();
                    assert!(
                        rest.is_empty(),
                        "{what}: bytes after the handler closed: {}",
                        text(&rest)
                    );
                    return requests;
                }
                drop(conn);
                self.with_notice(&what, &requests)
            }
        }
    }

    /// The client got exactly the recorder's answers to `requests`: verbatim
    /// from Mongrel2, and from Scale0 with §1's differences, each checked.
    fn assert_answers(&self, what: &str, case: &Case, requests: &[Frame], client: &[u8]) {
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
        let mut versions = decoded
            .iter()
            .map(|r| r.headers.get_str(key::VERSION).unwrap_or_default());
        for (got, want) in got.iter().zip(&want) {
            let interim = want.status / 100 == 1;
            let version = if interim {
                "HTTP/1.1"
            } else {
                versions.next().unwrap_or_default()
            };
            // §1: HTTP/1.0 clients get an HTTP/1.0 status line.
            assert_eq!(
                got.version,
                if version == "HTTP/1.0" {
                    "HTTP/1.0"
                } else {
                    "HTTP/1.1"
                },
                "{what}"
            );
            // §1: header names are written lower-case.
            assert!(
                got.headers
                    .iter()
                    .all(|(n, _)| *n == n.to_ascii_lowercase()),
                "{what}: {got:?}"
            );
            // §1: one Date header on every final response.
            let dates: Vec<&String> = got
                .headers
                .iter()
                .filter(|(n, _)| n == "date")
                .map(|(_, v)| v)
                .collect();
            assert_eq!(dates.len(), usize::from(!interim), "{what}: {got:?}");
            assert!(dates.iter().all(|d| is_http_date(d)), "{what}: {dates:?}");
            let rest: Vec<(String, String)> = got
                .headers
                .iter()
                .filter(|(n, _)| n != "date")
                .cloned()
                .collect();
            let lower: Vec<(String, String)> = want
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .collect();
            assert_eq!(
                (got.status, &got.reason, &rest, text(&got.body)),
                (want.status, &want.reason, &lower, text(&want.body)),
                "{what}"
            );
        }
    }
}

fn is_notice(frame: &Frame) -> bool {
    request::decode(&frame.bytes).is_ok_and(|r| r.is_notice())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn lossy(frames: &[Vec<u8>]) -> Vec<String> {
    frames.iter().map(|f| text(f)).collect()
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's IMF-fixdate), loosely.
fn is_http_date(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 29 && value.ends_with(" GMT") && b[3] == b',' && b[19] == b':' && b[22] == b':'
}

/// The frame Scale0 should send for a request Mongrel2 sent as `frame`,
/// applying the frame-level differences in `diffs` (§2, §3, §4).
fn as_scale0_sends(frame: &[u8], diffs: &[Diff]) -> Vec<u8> {
    let req = request::decode(frame).unwrap();
    if req.is_notice() {
        return frame.to_vec();
    }
    let absolute = diffs.contains(&Diff::AbsoluteForm);
    let trim = diffs.contains(&Diff::TrimmedValues);
    let path = if absolute {
        strip_authority(req.path)
    } else {
        req.path.to_vec()
    };
    let mut headers = Headers::new();
    for (name, value) in req.headers.iter() {
        if name == key::FRAGMENT && diffs.contains(&Diff::NoFragment) {
            continue;
        }
        let value = if (name == key::PATH || name == key::URI) && absolute {
            HeaderValue::One(strip_authority(value.first()).into())
        } else if trim && !name.iter().any(u8::is_ascii_uppercase) {
            let trimmed = |v: &[u8]| v.trim_ascii_end().to_vec().into();
            match value {
                HeaderValue::One(v) => HeaderValue::One(trimmed(v)),
                HeaderValue::Many(vs) => HeaderValue::Many(vs.iter().map(|v| trimmed(v)).collect()),
            }
        } else {
            value.clone()
        };
        headers.push(name.to_vec(), value);
    }
    Request {
        path: &path,
        headers,
        ..req
    }
    .to_vec()
}

/// `//host/path` (Mongrel2's PATH for `http://host/path`) → `/path`.
fn strip_authority(path: &[u8]) -> Vec<u8> {
    path.strip_prefix(b"//")
        .and_then(|rest| {
            rest.iter()
                .position(|&b| b == b'/')
                .map(|i| rest[i..].to_vec())
        })
        .unwrap_or_else(|| path.to_vec())
}

/// One HTTP response as the client read it.
#[derive(Debug)]
struct Response {
    version: String,
    status: u16,
    reason: String,
    /// Names as written, values trimmed.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Length of the first complete response; HEAD responses end with the head.
fn response_end(bytes: &[u8], head: bool) -> Option<usize> {
    let head_end = find(bytes, b"\r\n\r\n")? + 4;
    let interim = bytes.get(9) == Some(&b'1');
    if head && !interim {
        Some(head_end)
    } else {
        response_len(bytes)
    }
}

fn count(mut bytes: &[u8], head: bool) -> usize {
    let mut n = 0;
    while let Some(len) = response_end(bytes, head) {
        bytes = &bytes[len..];
        n += 1;
    }
    n
}

fn parse_all(mut bytes: &[u8], head: bool) -> Vec<Response> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let len = response_end(bytes, head)
            .unwrap_or_else(|| panic!("incomplete response: {}", text(bytes)));
        let head_end = find(bytes, b"\r\n\r\n").unwrap_or(len);
        let head_text = text(&bytes[..head_end]);
        let mut lines = head_text.split("\r\n");
        let mut status_line = lines.next().unwrap_or_default().splitn(3, ' ');
        let (version, status, reason) =
            (status_line.next(), status_line.next(), status_line.next());
        out.push(Response {
            version: version.unwrap_or_default().into(),
            status: status.and_then(|s| s.parse().ok()).unwrap_or_default(),
            reason: reason.unwrap_or_default().into(),
            headers: lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.to_string(), v.trim().to_string()))
                .collect(),
            body: bytes[(head_end + 4).min(len)..len].to_vec(),
        });
        bytes = &bytes[len..];
    }
    out
}

/// The HTTP capture scenarios and our own requests that both servers
/// forward (json protocol).
fn forwarded_cases() -> Vec<Case> {
    let f = fixture;
    let (m4, e4) = ("misc-04-odd-request-bytes", "err-04-error-responses");
    vec![
        Case::new(
            "json-01 GET",
            f("json-01-simple-get", "01-client-to-m2.bin"),
            1,
        ),
        Case::new(
            "json-02 query, fragment, repeats",
            f("json-02-get-query-repeated-headers", "01-client-to-m2.bin"),
            1,
        )
        .diffs(&[Diff::NoFragment, Diff::TrimmedValues]),
        Case::new(
            "json-02b seven repeats",
            f("json-02b-header-dupe-limit", "01-client-to-m2.bin"),
            1,
        ),
        Case::new(
            "json-03 form then binary body",
            f("json-03-post-small-body", "01-client-to-m2.bin"),
            1,
        )
        .then(
            f(
                "json-03-post-small-body",
                "05-client-to-m2-second-request-same-conn.bin",
            ),
            1,
        ),
        Case::new(
            "json-05b HTTP/1.0 keep-alive",
            f("json-05b-http10-keepalive", "01-client-to-m2-req1.bin"),
            1,
        )
        .then(
            f("json-05b-http10-keepalive", "05-client-to-m2-req2.bin"),
            1,
        ),
        Case::new(
            "json-05d pipelined",
            f("json-05d-http11-pipelined", "01-client-to-m2.bin"),
            3,
        ),
        Case::new(
            "misc-04 TAB and 0xff",
            f(m4, "01-client-to-m2-tab-and-0xff.bin"),
            1,
        ),
        Case::new(
            "misc-04 empty query",
            f(m4, "06-client-to-m2-empty-query.bin"),
            1,
        ),
        Case::new(
            "misc-04 empty fragment",
            f(m4, "11-client-to-m2-empty-fragment.bin"),
            1,
        )
        .diffs(&[Diff::NoFragment]),
        Case::new(
            "misc-04 no Host",
            f(m4, "16-client-to-m2-http11-no-host.bin"),
            1,
        ),
        Case::new(
            "misc-04 WebSocket without version",
            f(m4, "23-client-to-m2-ws-missing-version.bin"),
            1,
        ),
        Case::new("misc-04 DELETE", f(m4, "28-client-to-m2-delete.bin"), 1),
        Case {
            head: true,
            ..Case::new("misc-04 HEAD", f(m4, "33-client-to-m2-head.bin"), 1)
        },
        Case::new(
            "err-04 unknown host",
            f(e4, "01-client-to-m2-404-no-route.bin"),
            1,
        ),
        Case::new(
            "err-04 3900-byte header",
            f(e4, "17-client-to-m2-ok-header-3900-bytes.bin"),
            1,
        ),
        Case::new(
            "err-04 1000-byte path",
            f(e4, "28-client-to-m2-long-path-1000.bin"),
            1,
        ),
        Case::new(
            "err-04 absolute form",
            f(e4, "31-client-to-m2-absolute-uri.bin"),
            1,
        )
        .diffs(&[Diff::AbsoluteForm]),
        Case::new(
            "err-04 LF line ends",
            f(e4, "34-client-to-m2-lf-only-line-endings.bin"),
            1,
        ),
        Case::new(
            "err-04 PURGE2",
            f(e4, "37-client-to-m2-method-20-upper-digits.bin"),
            1,
        ),
        Case {
            interim: true,
            ..Case::new(
                "err-04 100-continue",
                f(e4, "45-client-to-m2-expect-100-headers.bin"),
                1,
            )
            .then(f(e4, "47-client-to-m2-expect-100-body.bin"), 1)
            .outcomes(Outcome::Forwarded(1), Outcome::Forwarded(1))
        },
        Case::new(
            "long values",
            get(
                "/long",
                &[
                    ("X-Long", &"v".repeat(3000)),
                    ("Cookie", &format!("{}c=1", "c=1; ".repeat(100))),
                ],
            ),
            1,
        ),
        Case::new(
            "six repeats",
            get(
                "/rep",
                &[
                    ("X-R", "1"),
                    ("x-r", "2"),
                    ("X-R", "3"),
                    ("X-r", "4"),
                    ("X-R", "5"),
                    ("X-R", "6"),
                    ("Accept", "a"),
                    ("Accept", "b"),
                ],
            ),
            1,
        ),
        Case::new(
            "empty query with a body",
            b"POST /submit? HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
            1,
        ),
        Case::new(
            "percent-encoded path",
            get("/a%20b/%2Fc%41%3F?x=%26y%3D1&z", &[]),
            1,
        ),
        Case::new("dot segments", get("/app/../etc/passwd", &[]), 1),
    ]
}

/// Requests after which the handler sends its answer and then the close
/// message, as Mongrel2's Python library does for HTTP/1.0 and
/// `Connection: close`.
fn closing_cases() -> Vec<Case> {
    let f = fixture;
    vec![
        Case::new(
            "json-05a HTTP/1.0",
            f("json-05a-http10", "01-client-to-m2.bin"),
            1,
        ),
        Case::new(
            "json-05c keep-alive, then close",
            f("json-05c-http11-keepalive", "01-client-to-m2-req1.bin"),
            1,
        )
        .then(
            f("json-05c-http11-keepalive", "05-client-to-m2-req2.bin"),
            1,
        )
        .then(
            f(
                "json-05c-http11-keepalive",
                "09-client-to-m2-req3-conn-close.bin",
            ),
            1,
        ),
        Case {
            head: true,
            ..Case::new(
                "HEAD HTTP/1.0 with query",
                b"HEAD /h?x=1 HTTP/1.0\r\nHost: localhost\r\n\r\n".to_vec(),
                1,
            )
        },
    ]
}

#[test]
fn json_requests_reach_the_handler_as_mongrel2_sends_them() {
    let peers = Peers::start("json", Closing::AsAsked, "");
    for case in forwarded_cases() {
        peers.check(&case);
    }
}

#[test]
fn tnetstring_requests_reach_the_handler_as_mongrel2_sends_them() {
    let peers = Peers::start("tnetstring", Closing::AsAsked, "");
    let f = fixture;
    let cases = [
        Case::new(
            "tnet-02 query, fragment, repeats",
            f("tnet-02-get-query-repeated-headers", "01-client-to-m2.bin"),
            1,
        )
        .diffs(&[Diff::NoFragment, Diff::TrimmedValues]),
        Case::new(
            "tnet-03 form then binary body",
            f("tnet-03-post-small-body", "01-client-to-m2-req1.bin"),
            1,
        )
        .then(f("tnet-03-post-small-body", "05-client-to-m2-req2.bin"), 1),
        Case::new(
            "json-05d pipelined",
            f("json-05d-http11-pipelined", "01-client-to-m2.bin"),
            3,
        ),
        Case::new(
            "six repeats",
            get(
                "/rep",
                &[
                    ("X-R", "1"),
                    ("x-r", "2"),
                    ("X-R", "3"),
                    ("X-r", "4"),
                    ("X-R", "5"),
                    ("X-R", "6"),
                ],
            ),
            1,
        ),
    ];
    for case in &cases {
        peers.check(case);
    }
}

#[test]
fn requests_both_refuse_get_the_same_status_class() {
    let peers = Peers::start("json", Closing::AsAsked, "");
    let e4 = |file| fixture("err-04-error-responses", file);
    let cases = [
        Case::rejected(
            "misc-04 OPTIONS *",
            fixture(
                "misc-04-odd-request-bytes",
                "21-client-to-m2-options-star.bin",
            ),
            404,
            404,
        ),
        Case::rejected(
            "err-04 HTTP/2.0",
            e4("05-client-to-m2-400-http-2.0.bin"),
            400,
            400,
        ),
        Case::rejected(
            "err-04 space in path",
            e4("07-client-to-m2-400-space-in-path.bin"),
            400,
            400,
        ),
        Case::rejected(
            "err-04 garbage",
            e4("11-client-to-m2-400-garbage.bin"),
            400,
            400,
        ),
        Case::rejected(
            "err-04 header without colon",
            e4("13-client-to-m2-400-header-no-colon.bin"),
            400,
            400,
        ),
        Case::rejected(
            "err-04 folded header",
            e4("43-client-to-m2-folded-header.bin"),
            400,
            400,
        ),
        Case::rejected(
            "err-04 body over the limit",
            b"POST /app HTTP/1.1\r\nHost: localhost\r\nContent-Length: 30000\r\n\r\n".to_vec(),
            413,
            413,
        ),
        Case::rejected(
            "20000-byte header",
            get("/big", &[("X-Big", &"y".repeat(20_000))]),
            400,
            431,
        ),
    ];
    for case in &cases {
        peers.check(case);
    }
}

#[test]
fn requests_one_server_refuses_differ_only_as_documented() {
    let peers = Peers::start("json", Closing::AsAsked, "");
    let e4 = |file| fixture("err-04-error-responses", file);
    let refused = |status, requests| Outcome::Rejected { status, requests };
    let one = Outcome::Forwarded(1);
    let cases = [
        Case::new(
            "err-04 lower-case method",
            e4("03-client-to-m2-400-lowercase-method.bin"),
            1,
        )
        .outcomes(refused(400, 0), one)
        .diffs(&[Diff::Lenient]),
        Case::new(
            "err-04 braces in path",
            e4("09-client-to-m2-400-curly-brace-in-uri.bin"),
            1,
        )
        .outcomes(refused(400, 0), one)
        .diffs(&[Diff::Lenient]),
        Case::new(
            "err-04 5000-byte header",
            e4("15-client-to-m2-400-header-5000-bytes.bin"),
            1,
        )
        .outcomes(refused(400, 0), one)
        .diffs(&[Diff::HeadLimit]),
        Case::new(
            "err-04 chunked body",
            e4("22-client-to-m2-413-chunked-body-no-temp-store.bin"),
            1,
        )
        .outcomes(refused(413, 0), one)
        .diffs(&[Diff::ChunkedInline]),
        Case::new(
            "err-04 Expect: something",
            e4("24-client-to-m2-417-expect-other.bin"),
            1,
        )
        .outcomes(refused(417, 0), one)
        .diffs(&[Diff::ExpectIgnored]),
        Case::new(
            "err-04 Content-Length: abc",
            e4("40-client-to-m2-content-length-garbage.bin"),
            1,
        )
        .outcomes(one, refused(400, 0))
        .diffs(&[Diff::ContentLength]),
        Case::new(
            "misc-04 two Content-Lengths",
            fixture(
                "misc-04-odd-request-bytes",
                "38-client-to-m2-duplicate-content-length.bin",
            ),
            1,
        )
        .outcomes(refused(400, 1), refused(400, 0))
        .diffs(&[Diff::ContentLength]),
    ];
    for case in &cases {
        peers.check(case);
    }
}

/// Nothing arrives on `conn` (no bytes, no EOF) for [`QUIET`].
fn silent(conn: &mut Conn) -> bool {
    conn.read_until(QUIET, |b| !b.is_empty()).is_err()
}

/// `condition` stays false for [`QUIET`].
fn stays_false(what: &str, mut condition: impl FnMut() -> bool) -> bool {
    wait::until(what, QUIET, || condition().then_some(())).is_err()
}

fn normalised(frames: &[Frame]) -> Vec<String> {
    frames.iter().map(|f| text(&normalise(&f.bytes))).collect()
}

#[test]
fn handler_reply_then_close_reaches_the_client() {
    let peers = Peers::start("json", Closing::AsAsked, "");
    for _round in 0..3 {
        for case in closing_cases() {
            peers.check(&case);
        }
    }
}

/// §13: with a handler that never closes, Mongrel2 keeps HTTP/1.0 and
/// `Connection: close` connections open; Scale0 closes them after the
/// response and tells the handler, as if the client had left.
#[test]
fn scale0_closes_http10_and_connection_close_itself() {
    let peers = Peers::start("json", Closing::Never, "");
    let cases = [
        Case::new(
            "json-05a HTTP/1.0",
            fixture("json-05a-http10", "01-client-to-m2.bin"),
            1,
        ),
        Case::new(
            "json-05c Connection: close",
            fixture(
                "json-05c-http11-keepalive",
                "09-client-to-m2-req3-conn-close.bin",
            ),
            1,
        ),
    ];
    for case in &cases {
        let mut frames = Vec::new();
        for side in [&peers.mongrel2, &peers.scale0] {
            let what = format!("{} on {}", case.name, side.name);
            let after = side.watermark();
            let (mut conn, client) = side.send(case, Outcome::Forwarded(1));
            let requests = side.requests(&what, after, 1);
            side.assert_answers(&what, case, &requests, &client);
            if side.verbatim {
                assert!(
                    silent(&mut conn),
                    "{what}: Mongrel2 leaves closing to the handler"
                );
            } else {
                assert!(conn.closed_within(EVENT).unwrap(), "{what}: Scale0 closes");
            }
            drop(conn);
            frames.push(side.with_notice(&what, &requests));
        }
        assert_eq!(
            normalised(&frames[1]),
            normalised(&frames[0]),
            "{}",
            case.name
        );
    }
}

/// §11: Mongrel2 forwards every pipelined request at once; Scale0 forwards
/// the next only after the previous response, so responses cannot be
/// reordered. The handler ends up with the same frames.
#[test]
fn pipelined_requests_reach_scale0_one_at_a_time() {
    let peers = Peers::start("json", Closing::AsAsked, "");
    let case = Case::new(
        "json-05d pipelined, handler holding replies",
        fixture("json-05d-http11-pipelined", "01-client-to-m2.bin"),
        3,
    );
    let mut frames = Vec::new();
    for (side, at_once) in [(&peers.mongrel2, 3), (&peers.scale0, 1)] {
        let what = format!("{} on {}", case.name, side.name);
        let after = side.watermark();
        side.recorder.hold(true);
        let mut conn = Conn::connect(side.port).unwrap();
        conn.send(&case.writes[0].0).unwrap();
        side.requests(&what, after, at_once);
        if at_once == 1 {
            let more = || {
                let frames = side.recorder.frames();
                frames
                    .iter()
                    .filter(|f| f.conn_id > Some(after) && !is_notice(f))
                    .count()
                    > 1
            };
            assert!(
                stays_false(&what, more),
                "{what}: forwarded before the response"
            );
        }
        side.recorder.hold(false);
        let client = conn.read_until(EVENT, |b| count(b, false) >= 3).unwrap();
        let requests = side.requests(&what, after, 3);
        side.assert_answers(&what, &case, &requests, &client);
        drop(conn);
        frames.push(side.with_notice(&what, &requests));
    }
    assert_eq!(normalised(&frames[1]), normalised(&frames[0]));
}

/// §12: a handler that does not answer: Scale0 answers 504 at the reply
/// deadline, closes, and sends the handler a disconnect notice; Mongrel2
/// keeps the client waiting and delivers the late answer.
#[test]
fn silent_handler_gets_504_from_scale0_while_mongrel2_waits() {
    let peers = Peers::start("json", Closing::AsAsked, r#"reply_timeout = "300ms""#);
    let request = get("/slow", &[]);
    let mut conns = Vec::new();
    for side in [&peers.mongrel2, &peers.scale0] {
        side.recorder.hold(true);
        let after = side.watermark();
        let mut conn = Conn::connect(side.port).unwrap();
        conn.send(&request).unwrap();
        let what = format!("held request on {}", side.name);
        conns.push((conn, side.requests(&what, after, 1)));
    }
    let (s0, s0_requests) = &mut conns[1];
    let status = parse_all(&s0.read_response(EVENT).unwrap(), false)
        .pop()
        .map(|r| r.status);
    assert_eq!(status, Some(504));
    assert!(
        s0.closed_within(EVENT).unwrap(),
        "Scale0 closes after a 504"
    );
    peers
        .scale0
        .with_notice("Scale0's notice after the 504", s0_requests);
    let (m2, m2_requests) = &mut conns[0];
    assert!(silent(m2), "Mongrel2 has no reply deadline");
    peers.mongrel2.recorder.hold(false);
    let late = m2.read_response(EVENT).unwrap();
    assert_eq!(
        text(&late),
        text(&answer(&request::decode(&m2_requests[0].bytes).unwrap()))
    );
}

/// §12: no handler connected: Scale0 answers 503 with Retry-After at the
/// deadline and drops the request; Mongrel2 holds it until a handler
/// connects.
#[test]
fn without_a_handler_scale0_answers_503_while_mongrel2_holds_the_request() {
    let (mongrel2, gateway, dir) = servers("json", r#"reply_timeout = "300ms""#);
    let request = get("/early", &[]);
    let mut m2 = Conn::connect(mongrel2.http_port).unwrap();
    m2.send(&request).unwrap();
    let mut s0 = Conn::connect(gateway.port()).unwrap();
    s0.send(&request).unwrap();
    let refused = parse_all(&s0.read_response(EVENT).unwrap(), false)
        .pop()
        .unwrap();
    assert_eq!(refused.status, 503);
    assert!(
        refused
            .headers
            .iter()
            .any(|(n, v)| n == "retry-after" && v == "1"),
        "{refused:?}"
    );
    assert!(silent(&mut m2), "Mongrel2 waits for a handler");

    // The handler that connects now gets the held request (its answer may
    // be lost to the slow joiner, so only the delivery is checked).
    let closing = Closing::AsAsked;
    let m2_handler = Recorder::start(&mongrel2.send_spec, &mongrel2.recv_spec, closing).unwrap();
    let is_early = |f: &Frame| request::decode(&f.bytes).is_ok_and(|r| r.path == b"/early");
    m2_handler
        .wait_until("Mongrel2 to deliver the held request", EVENT, |fs| {
            fs.iter().any(is_early)
        })
        .unwrap();
    let (send, recv) = specs(&dir);
    let s0_handler = Side {
        name: "Scale0",
        port: gateway.port(),
        recorder: Recorder::start(&send, &recv, closing).unwrap(),
        verbatim: false,
    };
    s0_handler.wait_ready();
    let early = s0_handler.recorder.frames().iter().any(is_early);
    assert!(!early, "Scale0 dropped the refused request");
}
