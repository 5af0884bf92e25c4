//! Registration edge cases, operator actions and the status snapshot.

use super::*;
use crate::engine::{ControlError, ServiceStatus, WorkerStatus};

#[test]
fn a_worker_ready_again_is_accepted_with_its_full_capacity() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 2);
    h.submit_with(1, "echo", false, None);
    h.submit_with(2, "echo", false, None);
    let out = h.ready("a", &["echo"], 2);
    assert_eq!(
        fails(&out).len(),
        2,
        "what the old registration held is lost"
    );
    let status = h.status();
    assert_eq!(
        (status.workers[0].capacity, status.workers[0].in_flight),
        (2, 0)
    );
    assert_eq!(status.services[0].ready_slots, 2);
}

#[test]
fn after_a_broker_restart_a_known_worker_is_told_to_register_and_its_ready_accepted() {
    let mut h = Harness::new();
    let out = h.heartbeat("w");
    assert_eq!(commands_to(&out, "w", "DISCONNECT").len(), 1);
    h.ready("w", &["echo"], 4);
    assert_eq!(h.status().services[0].ready_slots, 4);
}

#[test]
fn reconnect_to_moves_a_worker_after_it_finishes() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 2);
    h.ready("b", &["echo"], 1);
    let first = only_sent(&h.submit(1, "echo"));
    let mut out = Vec::new();
    h.engine
        .reconnect_worker(b"a", "tcp://10.0.0.9:5555", &mut out)
        .unwrap();
    let command = Command::ReconnectTo {
        endpoint: "tcp://10.0.0.9:5555".into(),
    };
    assert_eq!(commands_to(&out, "a", "RECONNECT-TO"), [&command]);
    assert_eq!(dispatched_to(&h.submit(2, "echo")), ["b"]);
    assert!(h.submit(3, "echo").is_empty(), "a takes no new work");
    assert!(
        sent(&h.done("a", first.id)).is_empty(),
        "a's freed slot is not reused"
    );
    assert!(h.status().workers[0].draining);
}

#[test]
fn control_actions_name_what_is_wrong() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    let mut out = Vec::new();
    assert!(matches!(
        h.engine.reconnect_worker(b"a", "nowhere", &mut out),
        Err(ControlError::Endpoint(_))
    ));
    let unknown = h.engine.reconnect_worker(b"zz", "tcp://x:1", &mut out);
    assert_eq!(
        unknown,
        Err(ControlError::UnknownWorker {
            identity: "zz".into()
        })
    );
    assert!(out.is_empty());
}

#[test]
fn kick_disconnects_a_worker_and_fails_over_its_requests() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    h.submit(1, "echo");
    let mut out = Vec::new();
    h.engine.kick_worker(b"a", &mut out).unwrap();
    assert_eq!(commands_to(&out, "a", "DISCONNECT").len(), 1);
    assert_eq!(dispatched_to(&out), ["b"]);
}

#[test]
fn a_full_worker_table_refuses_ready() {
    let mut h = Harness::with(Config {
        max_workers: 1,
        ..Config::default()
    });
    h.ready("a", &["echo"], 1);
    let out = h.ready("b", &["echo"], 1);
    assert_eq!(commands_to(&out, "b", "DISCONNECT").len(), 1);
    assert_eq!(h.status().counters.workers_refused, 1);
}

#[test]
fn a_ready_outside_the_caps_is_refused() {
    let mut h = Harness::new();
    assert_eq!(
        commands_to(&h.ready("a", &["echo"], 0), "a", "DISCONNECT").len(),
        1
    );
    assert_eq!(
        commands_to(&h.ready("a", &[], 1), "a", "DISCONNECT").len(),
        1
    );
    assert!(h.status().workers.is_empty());
}

#[test]
fn status_shows_services_and_workers() {
    let mut h = Harness::new();
    h.ready("a", &["echo", "img"], 2);
    h.submit(1, "echo");
    h.submit(2, "echo");
    h.submit(3, "echo");
    h.at(250);
    let status = h.status();
    assert_eq!(
        status.services,
        [
            ServiceStatus {
                name: "echo".into(),
                workers: 1,
                ready_slots: 0,
                queue_depth: 1,
                oldest_wait: Some(Duration::from_millis(250)),
            },
            ServiceStatus {
                name: "img".into(),
                workers: 1,
                ready_slots: 0,
                queue_depth: 0,
                oldest_wait: None
            },
        ]
    );
    assert_eq!(
        status.workers,
        [WorkerStatus {
            identity: Bytes::from_static(b"a"),
            services: vec!["echo".into(), "img".into()],
            capacity: 2,
            in_flight: 2,
            last_heard: Duration::from_millis(250),
            draining: false,
        }]
    );
    assert_eq!(
        (status.gateways, status.requests, status.counters.dispatched),
        (1, 3, 2)
    );
}

#[test]
fn a_draining_worker_finishes_its_requests_and_leaves_without_loss() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 2);
    h.ready("b", &["echo"], 2);
    let first = only_sent(&h.submit_with(1, "echo", false, None));
    assert!(h.handle(Event::WorkerDrain { worker: b"a" }).is_empty());
    assert_eq!(dispatched_to(&h.submit(2, "echo")), ["b"]);
    h.reply("a", &[1]);
    assert!(sent(&h.done("a", first.id)).is_empty());
    let out = h.disconnect("a");
    assert!(fails(&out).is_empty(), "nothing was in flight any more");
    assert_eq!(h.status().counters.failed_502, 0);
}

#[test]
fn shutdown_fails_queued_with_503_and_held_with_502_and_disconnects_workers() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.submit(1, "echo");
    h.submit(2, "echo");
    let mut out = Vec::new();
    h.engine.shutdown(&mut out);
    assert_eq!(
        fails(&out),
        [
            failed(1, 502, FailReason::WorkerLost),
            unavailable(2, FailReason::Overloaded)
        ]
    );
    assert_eq!(commands_to(&out, "a", "DISCONNECT").len(), 1);
    assert!(sent(&out).is_empty(), "nothing is re-dispatched");
    let status = h.status();
    assert_eq!((status.workers.len(), status.requests), (0, 0));
}
