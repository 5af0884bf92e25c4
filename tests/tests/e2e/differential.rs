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
            Diff::Lenient | Diff::HeadLimit | Diff::ChunkedInline | Diff::ExpectIgnored | Diff::ContentLength
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
        let reject = |status| Outcome::Rejected { status, requests: 0 };
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

    fn has(&self, diff: Diff) -> bool {
        self.diffs.contains(&diff)
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
}

impl Peers {
    /// Starts both servers for `protocol` (Scale0 with `defaults` added to
    /// its `[defaults]`) and waits until each answers through its recorder.
    fn start(protocol: &str, closing: Closing, defaults: &str) -> Peers {
        let (mongrel2, gateway, dir) = servers(protocol, defaults);
        let send = format!("ipc://{}/send", dir.path().display());
        let recv = format!("ipc://{}/recv", dir.path().display());
        let peers = Peers {
            mongrel2: Side {
                name: "Mongrel2",
                port: mongrel2.http_port,
                recorder: Recorder::start(&mongrel2.send_spec, &mongrel2.recv_spec, closing).unwrap(),
            },
            scale0: Side {
                name: "Scale0",
                port: gateway.port(),
                recorder: Recorder::start(&send, &recv, closing).unwrap(),
            },
            _servers: (mongrel2, gateway, dir),
        };
        peers.mongrel2.wait_ready();
        peers.scale0.wait_ready();
        peers
    }

    /// Runs `case` through both servers and checks everything it promises.
    fn check(&self, case: &Case) {
        let diverging = case.diffs.iter().any(|d| d.splits_outcomes());
        assert_eq!(
            diverging,
            case.mongrel2 != case.scale0 && !matches!(case.scale0, Outcome::Rejected { .. } if matches!(case.mongrel2, Outcome::Rejected { .. })),
            "{}: outcomes may differ exactly when a listed difference says so",
            case.name
        );
        let m2 = self.mongrel2.exchange(case, case.mongrel2);
        let s0 = self.scale0.exchange(case, case.scale0);
        match (case.mongrel2, case.scale0) {
            (Outcome::Forwarded(_), Outcome::Forwarded(_)) => {
                let expected: Vec<Vec<u8>> = m2
                    .iter()
                    .map(|f| normalise(&as_scale0_sends(&f.bytes, case)))
                    .collect();
                let got: Vec<Vec<u8>> = s0.iter().map(|f| normalise(&f.bytes)).collect();
                assert_eq!(lossy(&got), lossy(&expected), "{}: handler frames differ", case.name);
                assert!(
                    case.has(Diff::NoFragment) == (m2_has(&m2, key::FRAGMENT)),
                    "{}: §2 lists exactly the cases with a fragment",
                    case.name
                );
            }
            (Outcome::Rejected { status: a, .. }, Outcome::Rejected { status: b, .. }) => {
                assert!(case.has(Diff::ErrorAnswers), "{}", case.name);
                assert_eq!(a / 100, b / 100, "{}: both reject with the same status class", case.name);
            }
            _ => {}
        }
    }
}

fn servers(protocol: &str, defaults: &str) -> (Mongrel2, Gateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let send = format!("ipc://{}/send", dir.path().display());
    let recv = format!("ipc://{}/recv", dir.path().display());
    let options = Options {
        protocol: protocol.into(),
        ..Options::default()
    };
    let mongrel2 = Mongrel2::start(options).unwrap();
    let gateway = Gateway::start(&handler_config(&send, &recv, protocol, defaults)).unwrap();
    (mongrel2, gateway, dir)
}

fn m2_has(frames: &[Frame], name: &[u8]) -> bool {
    frames.iter().any(|f| {
        request::decode(&f.bytes).is_ok_and(|r| r.headers.get(name).is_some())
    })
}

fn lossy(frames: &[Vec<u8>]) -> Vec<String> {
    frames.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()
}

/// The frame Scale0 should send for a request Mongrel2 sent as `frame`,
/// applying the frame-level differences the case lists (§2, §3, §4).
fn as_scale0_sends(frame: &[u8], case: &Case) -> Vec<u8> {
    let req = request::decode(frame).unwrap();
    if req.is_notice() {
        return frame.to_vec();
    }
    let path = if case.has(Diff::AbsoluteForm) {
        strip_authority(req.path)
    } else {
        req.path.to_vec()
    };
    let mut headers = Headers::new();
    for (name, value) in req.headers.iter() {
        if name == key::FRAGMENT && case.has(Diff::NoFragment) {
            continue;
        }
        let value = if (name == key::PATH || name == key::URI) && case.has(Diff::AbsoluteForm) {
            HeaderValue::One(strip_authority(value.first()).into())
        } else if case.has(Diff::TrimmedValues) && !name.iter().any(u8::is_ascii_uppercase) {
            let trim = |v: &[u8]| v.trim_ascii_end().to_vec().into();
            match value {
                HeaderValue::One(v) => HeaderValue::One(trim(v)),
                HeaderValue::Many(vs) => HeaderValue::Many(vs.iter().map(|v| trim(v)).collect()),
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
        .and_then(|rest| rest.iter().position(|&b| b == b'/').map(|i| rest[i..].to_vec()))
        .unwrap_or_else(|| path.to_vec())
}
