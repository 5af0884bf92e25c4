//! The session on made-up instants: every timing rule of the worker side without a socket or a sleep.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Action, Outbound, Session};
use crate::protocol::{encode, Command, HeartbeatTiming, RequestId, ServiceName};

const GW: &[u8] = b"gw-1";
const SECOND: Duration = Duration::from_secs(1);

fn session(now: Instant) -> (Session, Vec<Action>) {
    let services = vec![ServiceName::new(b"hello").unwrap()];
    let timing = HeartbeatTiming {
        interval_ms: 1000,
        liveness: 3,
    };
    let mut s = Session::new(
        "tcp://a:1".into(),
        services,
        2,
        timing,
        (SECOND, 4 * SECOND),
        now,
    );
    let mut out = Vec::new();
    s.start(now, &mut out);
    (s, out)
}

fn payload(conn: u64) -> Bytes {
    Bytes::from(format!("gw-1 {conn} /x 2:{{}},0:,"))
}

fn from_broker(s: &mut Session, command: Command, now: Instant) -> Vec<Action> {
    let mut out = Vec::new();
    s.message(&encode(&command), now, &mut out);
    out
}

fn request(s: &mut Session, id: u64, now: Instant) -> Vec<Action> {
    let command = Command::Request {
        request: RequestId(id),
        sender: Bytes::from_static(GW),
        payload: payload(id + 10),
    };
    from_broker(s, command, now)
}

/// Delivers REQUEST `id` and returns the cancel flag of the job it became.
fn held(s: &mut Session, id: u64, now: Instant) -> Arc<AtomicBool> {
    let out = request(s, id, now);
    let Some(Action::Deliver(job)) = out.first() else {
        panic!("{out:?}")
    };
    job.cancelled.clone()
}

fn user(s: &mut Session, outbound: Outbound, now: Instant) -> Vec<Action> {
    let mut out = Vec::new();
    s.user(outbound, now, &mut out);
    out
}

fn lost(s: &mut Session, now: Instant) -> Vec<Action> {
    let mut out = Vec::new();
    s.connection_lost(now, &mut out);
    out
}

fn tick(s: &mut Session, now: Instant) -> Vec<Action> {
    let mut out = Vec::new();
    s.tick(now, &mut out);
    out
}

/// The actions as short names, so a test reads as the sequence on the wire.
fn names(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a {
            Action::Send(c) => c.name().to_owned(),
            Action::Open(e) => format!("open {e}"),
            Action::Close => "close".into(),
            Action::Discard => "discard".into(),
            Action::Deliver(d) if d.cancel => format!("cancel {}", d.request.0),
            Action::Deliver(d) => format!("job {} conn {}", d.request.0, d.conn_id),
            Action::Abandon { epoch } => format!("abandon {epoch}"),
            Action::Stop { abandoned } => format!("stop {abandoned}"),
        })
        .collect()
}

fn done(id: u64, epoch: u64) -> Outbound {
    Outbound::Done {
        epoch,
        request: RequestId(id),
    }
}

#[test]
fn start_opens_and_sends_ready_with_services_and_capacity() {
    let now = Instant::now();
    let (_, out) = session(now);
    assert_eq!(names(&out), ["open tcp://a:1", "READY"]);
    let Action::Send(Command::Ready { services, capacity }) = &out[1] else {
        panic!("{out:?}")
    };
    assert_eq!((services[0].as_str(), *capacity), ("hello", 2));
}

#[test]
fn a_request_becomes_a_job_and_done_frees_it() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    assert_eq!(names(&request(&mut s, 1, now)), ["job 1 conn 11"]);
    assert_eq!(names(&user(&mut s, done(1, 0), now)), ["DONE"]);
    assert_eq!(names(&user(&mut s, done(1, 0), now)), Vec::<String>::new());
    assert_eq!(s.held(), 0);
}

#[test]
fn requests_beyond_capacity_or_unreadable_are_given_back() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    request(&mut s, 1, now);
    request(&mut s, 2, now);
    assert_eq!(names(&request(&mut s, 3, now)), ["DONE"]);
    assert_eq!(s.held(), 2);
    user(&mut s, done(1, 0), now);
    let junk = Command::Request {
        request: RequestId(4),
        sender: Bytes::from_static(GW),
        payload: Bytes::from_static(b"not a mongrel2 request"),
    };
    assert_eq!(names(&from_broker(&mut s, junk, now)), ["DONE"]);
    let other_sender = Command::Request {
        request: RequestId(5),
        sender: Bytes::from_static(b"gw-2"),
        payload: payload(1),
    };
    assert_eq!(names(&from_broker(&mut s, other_sender, now)), ["DONE"]);
}

#[test]
fn heartbeats_every_interval_and_adopts_the_brokers_timing() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    assert!(tick(&mut s, now + SECOND / 2).is_empty());
    assert_eq!(names(&tick(&mut s, now + SECOND)), ["HEARTBEAT"]);
    let timing = Some(HeartbeatTiming {
        interval_ms: 100,
        liveness: 2,
    });
    from_broker(&mut s, Command::Heartbeat { timing }, now + SECOND);
    assert_eq!(s.next_deadline(), Some(now + SECOND + SECOND / 10));
    assert_eq!(
        names(&tick(&mut s, now + SECOND + SECOND / 10)),
        ["HEARTBEAT"]
    );
    let silent = now + SECOND + SECOND / 5;
    assert_eq!(names(&tick(&mut s, silent)), ["abandon 1", "close"]);
}

#[test]
fn broker_silence_abandons_and_reconnects_with_doubling_backoff() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    let flag = held(&mut s, 1, now);
    let dead = now + 3 * SECOND;
    assert_eq!(names(&tick(&mut s, dead)), ["abandon 1", "close"]);
    assert!(
        flag.load(Ordering::Acquire),
        "held job sees it was abandoned"
    );
    assert!(tick(&mut s, dead + SECOND / 2).is_empty());
    let retry = dead + SECOND;
    assert_eq!(names(&tick(&mut s, retry)), ["open tcp://a:1", "READY"]);
    let dead = retry + 3 * SECOND;
    assert_eq!(names(&tick(&mut s, dead)), ["abandon 2", "close"]);
    assert!(tick(&mut s, dead + SECOND).is_empty(), "second wait is 2 s");
    assert_eq!(
        names(&tick(&mut s, dead + 2 * SECOND)),
        ["open tcp://a:1", "READY"]
    );
    assert_eq!(names(&user(&mut s, done(1, 0), dead)), Vec::<String>::new());
}

#[test]
fn a_lost_connection_abandons_and_queues_ready_at_once_without_backoff() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    let flag = held(&mut s, 1, now);
    let out = lost(&mut s, now);
    assert_eq!(names(&out), ["abandon 1", "discard", "READY"]);
    assert!(
        flag.load(Ordering::Acquire),
        "the broker failed or retried it"
    );
    assert_eq!(
        names(&user(&mut s, done(1, 0), now)),
        Vec::<String>::new(),
        "the old registration's DONE is not sent"
    );
    assert_eq!(names(&request(&mut s, 2, now)), ["job 2 conn 12"]);
    assert_eq!(names(&user(&mut s, done(2, 1), now)), ["DONE"]);
    assert_eq!(
        names(&tick(&mut s, now + SECOND)),
        ["HEARTBEAT"],
        "registered: heartbeats go on"
    );
}

#[test]
fn a_lost_connection_ends_a_drain_and_completes_a_move() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    request(&mut s, 1, now);
    user(&mut s, Outbound::Shutdown { grace: SECOND }, now);
    assert_eq!(
        names(&lost(&mut s, now)),
        ["abandon 1", "discard", "stop 0"]
    );

    let (mut s, _) = session(now);
    request(&mut s, 1, now);
    let to = Command::ReconnectTo {
        endpoint: "tcp://b:2".into(),
    };
    assert!(from_broker(&mut s, to, now).is_empty());
    assert_eq!(
        names(&lost(&mut s, now)),
        ["abandon 1", "discard", "open tcp://b:2", "READY"]
    );
}

#[test]
fn a_lost_connection_while_waiting_after_disconnect_keeps_waiting() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    from_broker(&mut s, Command::Disconnect { reason: None }, now);
    assert_eq!(names(&lost(&mut s, now)), ["abandon 2", "discard"]);
    assert!(tick(&mut s, now + SECOND / 2).is_empty());
    assert_eq!(names(&tick(&mut s, now + SECOND)), ["READY"]);
}

#[test]
fn disconnect_from_broker_abandons_and_sends_ready_again_after_backoff() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    request(&mut s, 1, now);
    let out = from_broker(&mut s, Command::Disconnect { reason: None }, now);
    assert_eq!(names(&out), ["abandon 1"]);
    assert!(
        tick(&mut s, now + SECOND / 2).is_empty(),
        "no heartbeat while unregistered"
    );
    assert_eq!(names(&tick(&mut s, now + SECOND)), ["READY"]);
    let reply = Outbound::Reply {
        epoch: 0,
        reply: Bytes::from_static(b"gw-1 2:11, late"),
    };
    assert!(
        user(&mut s, reply, now + SECOND).is_empty(),
        "stale reply dropped"
    );
}

#[test]
fn reconnect_to_waits_for_held_requests_then_moves() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    request(&mut s, 1, now);
    let to = Command::ReconnectTo {
        endpoint: "tcp://b:2".into(),
    };
    assert!(from_broker(&mut s, to, now).is_empty());
    let reply = Outbound::Reply {
        epoch: 0,
        reply: Bytes::from_static(b"gw-1 2:11, hi"),
    };
    assert_eq!(names(&user(&mut s, reply, now)), ["REPLY"]);
    let out = user(&mut s, done(1, 0), now);
    assert_eq!(
        names(&out),
        ["DONE", "DISCONNECT", "open tcp://b:2", "READY"]
    );
}

#[test]
fn cancel_is_delivered_once_and_flags_the_job() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    let flag = held(&mut s, 1, now);
    let cancel = || Command::Cancel {
        request: RequestId(1),
        notice: Bytes::from_static(
            b"gw-1 11 @* 17:{\"METHOD\":\"JSON\"},21:{\"type\":\"disconnect\"},",
        ),
    };
    assert_eq!(names(&from_broker(&mut s, cancel(), now)), ["cancel 1"]);
    assert!(flag.load(Ordering::Acquire));
    assert!(from_broker(&mut s, cancel(), now).is_empty());
    assert_eq!(names(&user(&mut s, done(1, 0), now)), ["DONE"]);
    assert!(
        from_broker(&mut s, cancel(), now).is_empty(),
        "not held any more"
    );
}

#[test]
fn shutdown_drains_then_disconnects_when_idle() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    request(&mut s, 1, now);
    let out = user(&mut s, Outbound::Shutdown { grace: SECOND }, now);
    assert_eq!(names(&out), ["DRAIN"]);
    assert_eq!(
        names(&request(&mut s, 2, now)),
        ["job 2 conn 12"],
        "sent before DRAIN arrived"
    );
    assert_eq!(names(&user(&mut s, done(1, 0), now)), ["DONE"]);
    let out = user(&mut s, done(2, 0), now);
    assert_eq!(names(&out), ["DONE", "DISCONNECT", "stop 0"]);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn shutdown_gives_up_after_the_grace() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    request(&mut s, 1, now);
    user(&mut s, Outbound::Shutdown { grace: SECOND }, now);
    assert!(tick(&mut s, now + SECOND / 2).is_empty());
    let out = tick(&mut s, now + SECOND);
    assert_eq!(names(&out), ["DISCONNECT", "stop 1"]);
}

#[test]
fn shutdown_while_disconnected_stops_at_once() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    tick(&mut s, now + 3 * SECOND);
    let out = user(
        &mut s,
        Outbound::Shutdown { grace: SECOND },
        now + 3 * SECOND,
    );
    assert_eq!(names(&out), ["stop 0"]);
}

#[test]
fn worker_commands_and_garbage_from_the_broker_are_dropped_but_count_as_life() {
    let now = Instant::now();
    let (mut s, _) = session(now);
    let later = now + 2 * SECOND;
    assert!(from_broker(&mut s, Command::Drain, later).is_empty());
    let mut out = Vec::new();
    s.message(&[&b""[..], b"S0W1", b"\x02"], later, &mut out);
    s.message(&[&b"junk"[..]], later, &mut out);
    assert!(out.is_empty());
    assert_eq!(
        names(&tick(&mut s, now + 3 * SECOND)),
        ["HEARTBEAT"],
        "still alive"
    );
}
