//! Both servers with their recording handlers, and running one case on each.

use mongrel2_compat::handler::should_close;
use mongrel2_compat::request;
use scale0_tests::client::Conn;
use scale0_tests::gateway::{handler_config, Gateway};
use scale0_tests::mongrel2::{Mongrel2, Options};
use scale0_tests::recorder::{normalise, Closing, Frame, Recorder};
use scale0_tests::wait;

use super::answers::{count, parse_all};
use super::frames::{as_scale0_sends, is_notice, text};
use super::{get, Case, Outcome, EVENT, PROBE_WAIT};

/// Both servers, each with its recording handler, answering.
pub(super) struct Peers {
    pub(super) mongrel2: Side,
    pub(super) scale0: Side,
    _servers: (Mongrel2, Gateway, tempfile::TempDir),
}

/// One server as the test sees it.
pub(super) struct Side {
    pub(super) name: &'static str,
    pub(super) port: u16,
    pub(super) recorder: Recorder,
    /// Mongrel2 writes the handler's bytes to the client as they are.
    pub(super) verbatim: bool,
}

/// Where the gateway binds its handler sockets, in `dir`.
pub(super) fn specs(dir: &tempfile::TempDir) -> (String, String) {
    let at = |name: &str| format!("ipc://{}/{name}", dir.path().display());
    (at("send"), at("recv"))
}

/// Mongrel2 and Scale0 with equivalent handler configs (Scale0 with
/// `defaults` in its `[defaults]`), no handler connected yet.
pub(super) fn servers(protocol: &str, defaults: &str) -> (Mongrel2, Gateway, tempfile::TempDir) {
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

impl Peers {
    /// Starts both servers and their recorders, and waits until each answers.
    pub(super) fn start(protocol: &str, closing: Closing, defaults: &str) -> Peers {
        let (mongrel2, gateway, dir) = servers(protocol, defaults);
        let (send, recv) = specs(&dir);
        let m2_recorder = Recorder::start(&mongrel2.send_spec, &mongrel2.recv_spec, closing);
        let peers = Peers {
            mongrel2: Side {
                name: "Mongrel2",
                port: mongrel2.http_port,
                recorder: m2_recorder.unwrap(),
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
    pub(super) fn check(&self, case: &Case) {
        let name = case.name;
        let splits = case.diffs.iter().any(|d| d.splits_outcomes());
        assert_eq!(
            splits,
            !case.mongrel2.same_kind(case.scale0),
            "{name}: outcomes differ exactly when a listed difference says so"
        );
        let m2 = self.mongrel2.exchange(case, case.mongrel2);
        let s0 = self.scale0.exchange(case, case.scale0);
        match (case.mongrel2, case.scale0) {
            (Outcome::Forwarded(_), Outcome::Forwarded(_)) => {
                for diff in case.diffs {
                    let shows = m2
                        .iter()
                        .any(|f| as_scale0_sends(&f.bytes, &[*diff]) != f.bytes);
                    assert!(shows, "{name}: {diff:?} is listed but changes no frame");
                }
                let want = m2.iter().map(|f| as_scale0_sends(&f.bytes, case.diffs));
                let want: Vec<String> = want.map(|f| text(&normalise(&f))).collect();
                assert_eq!(normalised(&s0), want, "{name}: handler frames");
            }
            (Outcome::Refused { status: a, .. }, Outcome::Refused { status: b, .. }) => {
                assert_eq!(a / 100, b / 100, "{name}: same status class");
            }
            _ => {}
        }
        for side in [&self.mongrel2, &self.scale0] {
            let errors = side.recorder.errors();
            assert!(
                errors.is_empty(),
                "{name}: {} recorder: {errors:?}",
                side.name
            );
        }
    }
}

/// Frames as text after `normalise`, for comparing and printing.
pub(super) fn normalised(frames: &[Frame]) -> Vec<String> {
    frames.iter().map(|f| text(&normalise(&f.bytes))).collect()
}

impl Side {
    /// Readiness probe: a request on a fresh connection until one is answered
    /// (replies published before the server's SUB has seen our PUB are lost).
    pub(super) fn wait_ready(&self) {
        let probe = get("/probe", &[]);
        let what = format!("{} to answer through its recorder", self.name);
        wait::until(&what, EVENT * 2, || {
            let mut conn = Conn::connect(self.port).ok()?;
            conn.send(&probe).ok()?;
            conn.read_response(PROBE_WAIT).ok()
        })
        .unwrap();
    }

    /// The highest conn id the recorder has seen: later connections are above.
    pub(super) fn watermark(&self) -> u64 {
        let frames = self.recorder.frames();
        frames.iter().filter_map(|f| f.conn_id).max().unwrap_or(0)
    }

    /// Sends the case's writes on one connection, reading the responses each
    /// brings when the case is forwarded.
    pub(super) fn send(&self, case: &Case, outcome: Outcome) -> (Conn, Vec<u8>) {
        let mut conn = Conn::connect(self.port).unwrap();
        let mut client = Vec::new();
        let mut responses = 0;
        for (bytes, brings) in &case.writes {
            conn.send(bytes).unwrap();
            if matches!(outcome, Outcome::Forwarded(_)) {
                responses += brings;
                let before = client.clone();
                let done = |b: &[u8]| count(&[&before[..], b].concat(), case.head) >= responses;
                let more = conn.read_until(super::EVENT, done);
                client
                    .extend(more.unwrap_or_else(|e| panic!("{} on {}: {e}", case.name, self.name)));
            }
        }
        (conn, client)
    }

    /// Waits for exactly `n` request frames on one connection above `after`.
    pub(super) fn requests(&self, what: &str, after: u64, n: usize) -> Vec<Frame> {
        let mine = |f: &Frame| f.conn_id.is_some_and(|id| id > after) && !is_notice(f);
        let all = self
            .recorder
            .wait_until(what, EVENT, |fs| fs.iter().filter(|f| mine(f)).count() >= n);
        let frames: Vec<Frame> = all.unwrap().into_iter().filter(mine).collect();
        assert_eq!(
            frames.len(),
            n,
            "{what}: request frames {:?}",
            normalised(&frames)
        );
        let one_conn = frames.windows(2).all(|w| w[0].conn_id == w[1].conn_id);
        assert!(one_conn, "{what}: one connection, one conn id");
        frames
    }

    /// Waits for the disconnect notice of `frames`' connection and returns
    /// every frame of that connection.
    pub(super) fn with_notice(&self, what: &str, frames: &[Frame]) -> Vec<Frame> {
        let id = frames.first().and_then(|f| f.conn_id);
        let noticed = |fs: &[Frame]| fs.iter().any(|f| f.conn_id == id && is_notice(f));
        let all = self.recorder.wait_until(what, EVENT, noticed).unwrap();
        all.into_iter().filter(|f| f.conn_id == id).collect()
    }

    /// Runs one case on this server and checks what the client got. Returns
    /// the handler frames of the connection: with the disconnect notice when
    /// forwarded, request frames only when refused.
    fn exchange(&self, case: &Case, outcome: Outcome) -> Vec<Frame> {
        let what = format!("{} on {}", case.name, self.name);
        let after = self.watermark();
        let (mut conn, mut client) = self.send(case, outcome);
        match outcome {
            Outcome::Refused { status, requests } => {
                client.extend(conn.read_to_eof(EVENT).unwrap());
                let last = parse_all(&client, false).pop().map(|r| r.status);
                assert_eq!(last, Some(status), "{what}: {}", text(&client));
                self.requests(&what, after, requests)
            }
            Outcome::Forwarded(n) => {
                let requests = self.requests(&what, after, n);
                self.assert_answers(&what, case, &requests, &client);
                let last = requests.last().map(|f| request::decode(&f.bytes).unwrap());
                if last.as_ref().is_some_and(should_close) {
                    let rest = conn.read_to_eof(EVENT).unwrap();
                    assert!(rest.is_empty(), "{what}: after the close: {}", text(&rest));
                    return requests;
                }
                drop(conn);
                self.with_notice(&what, &requests)
            }
        }
    }
}
