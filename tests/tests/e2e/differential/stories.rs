//! Differences that show in timing rather than in bytes: who closes, when
//! requests are forwarded, what happens when no answer comes (§11–§13).

use mongrel2_compat::request;
use scale0_tests::client::Conn;
use scale0_tests::recorder::{answer, Closing, Frame, Recorder};
use scale0_tests::wait;

use super::answers::{count, parse_all};
use super::frames::{is_notice, text};
use super::peers::{normalised, servers, specs, Peers, Side};
use super::{get, Case, Outcome, EVENT, QUIET};

/// Nothing arrives on `conn` (no bytes, no EOF) for [`QUIET`].
fn silent(conn: &mut Conn) -> bool {
    conn.read_until(QUIET, |b| !b.is_empty()).is_err()
}

/// §13: with a handler that never closes, Mongrel2 keeps HTTP/1.0 and
/// `Connection: close` connections open; Scale0 closes them after the
/// response and tells the handler, as if the client had left.
#[test]
fn scale0_closes_http10_and_connection_close_itself() {
    let peers = Peers::start("json", Closing::Never, "");
    let cases = [
        Case::captured(
            "json-05a HTTP/1.0",
            "json-05a-http10/01-client-to-m2.bin",
            1,
        ),
        Case::captured(
            "json-05c Connection: close",
            "json-05c-http11-keepalive/09-client-to-m2-req3-conn-close.bin",
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
    let file = "json-05d-http11-pipelined/01-client-to-m2.bin";
    let case = Case::captured("json-05d pipelined, replies held", file, 3);
    let mut frames = Vec::new();
    for (side, at_once) in [(&peers.mongrel2, 3), (&peers.scale0, 1)] {
        let what = format!("{} on {}", case.name, side.name);
        let after = side.watermark();
        side.recorder.hold(true);
        let mut conn = Conn::connect(side.port).unwrap();
        conn.send(&case.writes[0].0).unwrap();
        side.requests(&what, after, at_once);
        if at_once == 1 {
            let second = || {
                let frames = side.recorder.frames();
                let mine = |f: &&Frame| f.conn_id > Some(after) && !is_notice(f);
                (frames.iter().filter(mine).count() > 1).then_some(())
            };
            let early = wait::until(&what, QUIET, second);
            assert!(
                early.is_err(),
                "{what}: forwarded before the first response"
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
    let slow = get("/slow", &[]);
    let mut held = Vec::new();
    for side in [&peers.mongrel2, &peers.scale0] {
        side.recorder.hold(true);
        let after = side.watermark();
        let mut conn = Conn::connect(side.port).unwrap();
        conn.send(&slow).unwrap();
        let requests = side.requests(&format!("/slow on {}", side.name), after, 1);
        held.push((conn, requests));
    }
    let (s0, s0_requests) = &mut held[1];
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
    let (m2, m2_requests) = &mut held[0];
    assert!(silent(m2), "Mongrel2 has no reply deadline");
    peers.mongrel2.recorder.hold(false);
    let late = m2.read_response(EVENT).unwrap();
    let req = request::decode(&m2_requests[0].bytes).unwrap();
    assert_eq!(text(&late), text(&answer(&req)));
}

/// §12: no handler connected: Scale0 answers 503 with Retry-After at the
/// deadline, closes the connection, and drops the request (a handler
/// connecting later never sees it; a new request gets its own answer); Mongrel2
/// holds it until a handler connects.
#[test]
fn without_a_handler_scale0_answers_503_while_mongrel2_holds_the_request() {
    let (mongrel2, gateway, dir) = servers("json", r#"reply_timeout = "300ms""#);
    let early = get("/early", &[]);
    let mut m2 = Conn::connect(mongrel2.http_port).unwrap();
    m2.send(&early).unwrap();
    let mut s0 = Conn::connect(gateway.port()).unwrap();
    s0.send(&early).unwrap();
    let refused = parse_all(&s0.read_response(EVENT).unwrap(), false)
        .pop()
        .unwrap();
    assert_eq!(refused.status, 503);
    let retry = refused
        .headers
        .iter()
        .any(|(n, v)| n == "retry-after" && v == "1");
    assert!(retry, "{refused:?}");
    let closing_header = refused
        .headers
        .iter()
        .any(|(n, v)| n == "connection" && v == "close");
    assert!(closing_header, "the 503 ends the connection: {refused:?}");
    assert!(
        s0.closed_within(EVENT).unwrap(),
        "Scale0 closes after the 503"
    );
    assert!(silent(&mut m2), "Mongrel2 waits for a handler");

    // A handler that connects now gets Mongrel2's held request (its answer
    // may be lost to the slow joiner, so only the delivery is checked).
    let closing = Closing::AsAsked;
    let m2_handler = Recorder::start(&mongrel2.send_spec, &mongrel2.recv_spec, closing).unwrap();
    let is_early = |f: &Frame| request::decode(&f.bytes).is_ok_and(|r| r.path == b"/early");
    let delivered = |fs: &[Frame]| fs.iter().any(is_early);
    m2_handler
        .wait_until("Mongrel2 to deliver the held request", EVENT, delivered)
        .unwrap();
    let (send, recv) = specs(&dir);
    let s0_handler = Side {
        name: "Scale0",
        port: gateway.port(),
        recorder: Recorder::start(&send, &recv, closing).unwrap(),
        verbatim: false,
    };
    s0_handler.wait_ready();
    let mut s0 = Conn::connect(gateway.port()).unwrap();
    s0.send(&get("/second", &[])).unwrap();
    let second = parse_all(&s0.read_response(EVENT).unwrap(), false)
        .pop()
        .unwrap();
    let body = text(&second.body);
    assert_eq!(
        body, "GET /second body=0\n",
        "the next request gets its own answer"
    );
    let early_seen = s0_handler.recorder.frames().iter().any(is_early);
    assert!(!early_seen, "Scale0 dropped the refused request");
}
