//! Issue 3, the differential test: the same client bytes go through the real
//! Mongrel2 and through Scale0, each with its own recording handler
//! (`scale0_tests::recorder`). The handler must receive the same frames from
//! both (byte for byte after `normalise`), and each client must get the
//! handler's answers. Every way Scale0 differs on purpose is a section of
//! docs/differences.md, named by a [`Diff`] and checked explicitly.
//!
//! `cases` holds the tables, `peers` runs a case on both servers, `answers`
//! checks what a client got, `frames` maps Mongrel2's frames to Scale0's, and
//! `stories` has the differences that need timing (§11–§13).

mod answers;
mod cases;
mod frames;
mod peers;
mod stories;

use std::time::Duration;

use peers::Peers;
use scale0_tests::recorder::Closing;

/// Deadline for any one expected event (a response, a frame, EOF).
const EVENT: Duration = Duration::from_secs(5);
/// How long a readiness probe waits for its answer before trying again.
const PROBE_WAIT: Duration = Duration::from_millis(250);
/// How long "nothing happens" is watched for in the timing stories.
const QUIET: Duration = Duration::from_millis(400);

/// Intended differences, each a section of docs/differences.md. Those every
/// Scale0 response shows (§1: `Date`, lower-case names, HTTP/1.0 status
/// line) are checked on every answer and not listed per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Diff {
    /// §2: no `FRAGMENT` key (hyper drops `#...` from the request target).
    NoFragment,
    /// §3: trailing spaces and tabs of header values are trimmed.
    TrimmedValues,
    /// §4: an absolute-form target gives PATH/URI from its path, not `//host/...`.
    AbsoluteForm,
    /// §5: both refuse; Scale0's status and body are its own (same class).
    ErrorAnswers,
    /// §6: request bytes Mongrel2 refuses with 400 that Scale0 forwards.
    Lenient,
    /// §7: the head limit is `max_header_bytes` (431), not 4 KiB (400).
    HeadLimit,
    /// §8: a small chunked body is de-chunked and sent inline, not 413.
    ChunkedInline,
    /// §10: invalid or conflicting Content-Length is a 400 before the handler.
    ContentLength,
}

impl Diff {
    /// Whether this difference makes the two servers' outcomes differ.
    fn splits_outcomes(self) -> bool {
        matches!(
            self,
            Diff::Lenient | Diff::HeadLimit | Diff::ChunkedInline | Diff::ContentLength
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
    Refused { status: u16, requests: usize },
}

impl Outcome {
    /// Whether two outcomes involve the handler in the same way (statuses of
    /// refusals may differ: §5).
    fn same_kind(self, other: Outcome) -> bool {
        match (self, other) {
            (Outcome::Forwarded(x), Outcome::Forwarded(y)) => x == y,
            (Outcome::Refused { requests: x, .. }, Outcome::Refused { requests: y, .. }) => x == y,
            _ => false,
        }
    }
}

/// One row of a table: client bytes and what each server should make of them.
struct Case {
    name: &'static str,
    /// Client writes on one connection, each with the complete responses it
    /// brings (a `100 Continue` counts as one).
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
    /// One write holding `requests` requests, forwarded by both servers.
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

    /// [`Case::new`] with the bytes of a capture file, `"scenario/file"`.
    fn captured(name: &'static str, file: &str, requests: usize) -> Case {
        Case::new(name, fixture(file), requests)
    }

    /// One request both servers refuse before the handler (§5).
    fn refused(name: &'static str, bytes: Vec<u8>, mongrel2: u16, scale0: u16) -> Case {
        let refuse = |status| Outcome::Refused {
            status,
            requests: 0,
        };
        Case::new(name, bytes, 1)
            .outcomes(refuse(mongrel2), refuse(scale0))
            .diffs(&[Diff::ErrorAnswers])
    }

    /// A further write on the same connection bringing `responses` responses.
    fn then(mut self, file: &str, responses: usize) -> Case {
        self.writes.push((fixture(file), responses));
        let more = |o| match o {
            Outcome::Forwarded(n) => Outcome::Forwarded(n + responses),
            refused => refused,
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

    fn head(self) -> Case {
        Case { head: true, ..self }
    }
}

/// The bytes of `fixtures/mongrel2-captures/<file>`.
fn fixture(file: &str) -> Vec<u8> {
    let path = scale0_tests::repo_root()
        .join("fixtures/mongrel2-captures")
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

fn run(protocol: &str, cases: &[Case]) {
    let peers = Peers::start(protocol, Closing::AsAsked, "");
    for case in cases {
        peers.check(case);
    }
}

#[test]
fn json_requests_reach_the_handler_as_mongrel2_sends_them() {
    run("json", &cases::forwarded());
}

#[test]
fn tnetstring_requests_reach_the_handler_as_mongrel2_sends_them() {
    run("tnetstring", &cases::tnetstring());
}

#[test]
fn requests_both_refuse_get_the_same_status_class() {
    run("json", &cases::refused_by_both());
}

#[test]
fn requests_one_server_refuses_differ_only_as_documented() {
    run("json", &cases::refused_by_one());
}

/// The handler answers, then sends the close message (as Mongrel2's Python
/// library does for HTTP/1.0 and `Connection: close`): the client must get
/// the answer, from both servers, every time.
#[test]
fn handler_reply_then_close_reaches_the_client() {
    let closing = cases::closing();
    let cases: Vec<&Case> = closing.iter().cycle().take(closing.len() * 3).collect();
    let peers = Peers::start("json", Closing::AsAsked, "");
    for case in cases {
        peers.check(case);
    }
}
