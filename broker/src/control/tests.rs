//! The control protocol without sockets: requests answered against an engine, identities as text, the
//! status table. (The socket round trip is tested with the running broker in `runtime`.)

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::json::{identity_candidates, identity_text};
use super::server::{answer, parse_answer};
use super::*;
use crate::engine::{Action, Config, Engine, Event};
use crate::protocol::ServiceName;
use crate::runtime::IoCounters;

fn engine_with_worker(identity: &[u8]) -> (Engine, Instant) {
    let mut engine = Engine::new(Config::default()).unwrap();
    let now = Instant::now();
    let services = [ServiceName::new(b"echo").unwrap()];
    let ready = Event::WorkerReady {
        worker: identity,
        services: &services,
        capacity: 2,
    };
    engine.handle(ready, now, &mut Vec::new());
    (engine, now)
}

fn ask(engine: &mut Engine, now: Instant, request: &Value) -> (Result<Value, Error>, Vec<Action>) {
    let mut out = Vec::new();
    let bytes = serde_json::to_vec(request).unwrap();
    let answer = answer(engine, &IoCounters::default(), &bytes, now, &mut out);
    (parse_answer(&answer), out)
}

#[test]
fn commands_have_the_documented_json_shape() {
    let reconnect = Command::Reconnect {
        worker: "w-1".into(),
        endpoint: "tcp://10.0.0.7:5560".into(),
    };
    assert_eq!(
        serde_json::to_value(&reconnect).unwrap(),
        json!({"command": "reconnect", "worker": "w-1", "endpoint": "tcp://10.0.0.7:5560"})
    );
    assert_eq!(
        serde_json::to_value(Command::Status).unwrap(),
        json!({"command": "status"})
    );
}

#[test]
fn status_reports_workers_services_and_counters() {
    let (mut engine, now) = engine_with_worker(b"w-1");
    let later = now + Duration::from_millis(250);
    let (status, _) = ask(&mut engine, later, &json!({"command": "status"}));
    let status = status.unwrap();
    assert_eq!(status["workers"][0]["identity"], "w-1");
    assert_eq!(status["workers"][0]["last_heard_ms"], 250);
    assert_eq!(status["services"][0]["ready_slots"], 2);
    assert_eq!(status["services"][0]["oldest_wait_ms"], Value::Null);
    assert_eq!(status["counters"]["workers_registered"], 1);
    assert_eq!(status["io"]["gateway_full_drops"], 0);
}

#[test]
fn drain_kick_and_reconnect_reach_the_engine() {
    let (mut engine, now) = engine_with_worker(b"w-1");
    let (drained, _) = ask(
        &mut engine,
        now,
        &json!({"command": "drain", "worker": "w-1"}),
    );
    assert_eq!(drained.unwrap(), json!({"drained": "w-1"}));
    assert!(engine.status(now).workers[0].draining);
    let request = json!({"command": "reconnect", "worker": "w-1", "endpoint": "tcp://b:1"});
    let (moved, out) = ask(&mut engine, now, &request);
    assert_eq!(moved.unwrap()["endpoint"], "tcp://b:1");
    assert_eq!(out.len(), 1, "RECONNECT-TO for the loop to send: {out:?}");
    let (kicked, out) = ask(
        &mut engine,
        now,
        &json!({"command": "kick", "worker": "w-1"}),
    );
    assert_eq!(kicked.unwrap(), json!({"kicked": "w-1"}));
    assert!(!out.is_empty(), "DISCONNECT for the loop to send");
    assert!(engine.status(now).workers.is_empty());
}

#[test]
fn binary_identities_are_shown_and_accepted_as_hex() {
    let identity = [0u8, 0x6b, 0x8b, 0x45, 0x67];
    assert_eq!(identity_text(&identity), "0x006b8b4567");
    assert_eq!(
        identity_text(b"0xab"),
        "0x30786162",
        "text that looks like hex is shown as hex"
    );
    assert_eq!(identity_candidates("0x006b8b4567")[1], identity);
    assert_eq!(identity_candidates("0xzz").len(), 1);
    let (mut engine, now) = engine_with_worker(&identity);
    let (kicked, _) = ask(
        &mut engine,
        now,
        &json!({"command": "kick", "worker": "0x006b8b4567"}),
    );
    assert_eq!(kicked.unwrap(), json!({"kicked": "0x006b8b4567"}));
}

#[test]
fn refusals_say_why() {
    let (mut engine, now) = engine_with_worker(b"w-1");
    for (request, why) in [
        (json!({"command": "drain", "worker": "w-9"}), "w-9"),
        (json!({"command": "launch"}), "bad control request"),
        (
            json!({"command": "reconnect", "worker": "w-1", "endpoint": "nowhere"}),
            "endpoint",
        ),
    ] {
        let (refused, _) = ask(&mut engine, now, &request);
        assert!(
            matches!(&refused, Err(Error::Refused(text)) if text.contains(why)),
            "{refused:?}"
        );
    }
    assert!(matches!(parse_answer(b"[]"), Err(Error::Answer(_))));
    assert!(matches!(parse_answer(b"not json"), Err(Error::Answer(_))));
}

#[test]
fn the_status_table_lists_services_and_workers_in_aligned_columns() {
    let (mut engine, now) = engine_with_worker(b"w-1");
    let (status, _) = ask(&mut engine, now, &json!({"command": "status"}));
    let table = render_status(&status.unwrap());
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "SERVICES");
    assert_eq!(lines[1], "NAME  WORKERS  READY  QUEUED  OLDEST WAIT");
    assert_eq!(lines[2], "echo        1      2       0            -");
    assert!(
        lines.contains(&"w-1       echo             2          0        0.0s  ready"),
        "{table}"
    );
    assert_eq!(render_status(&json!({})).matches("(none)").count(), 2);
}
