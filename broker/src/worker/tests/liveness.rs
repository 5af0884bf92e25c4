//! Heartbeats while user code is busy, reconnecting to a silent broker, DISCONNECT and RECONNECT-TO.

use super::{broker, fast, heartbeat, request, Broker, PATIENCE};
use crate::protocol::{Command, RequestId};
use std::time::Duration;

use crate::worker::{Error, Settings, Worker};

fn connect(broker: &Broker) -> Worker {
    Worker::connect(&broker.endpoint, &["hello"], 1, fast()).unwrap()
}

#[test]
fn heartbeats_flow_while_user_code_holds_a_job() {
    let (_dir, broker) = broker();
    let worker = connect(&broker);
    let (identity, _) = broker.recv();
    broker.send(&identity, &heartbeat(20, 50));
    broker.send(&identity, &request(1));
    let job = worker.recv_timeout(PATIENCE).unwrap();
    for _ in 0..5 {
        assert_eq!(broker.recv().1, Command::Heartbeat { timing: None });
    }
    job.done().unwrap();
    let done = Command::Done {
        request: RequestId(1),
    };
    assert_eq!(broker.expect().1, done);
}

#[test]
fn a_silent_broker_is_left_and_ready_is_sent_again() {
    let (_dir, broker) = broker();
    let worker = connect(&broker);
    let (first, _) = broker.recv();
    broker.send(&first, &heartbeat(20, 2));
    broker.send(&first, &request(1));
    let held = worker.recv_timeout(PATIENCE).unwrap();
    let (second, command) = broker.expect();
    assert!(matches!(command, Command::Ready { .. }), "{command:?}");
    assert_ne!(first, second, "a new socket, so a new identity");
    assert!(held.is_cancelled());
    assert!(matches!(held.reply(b"late"), Err(Error::Abandoned)));
    held.done().unwrap();
    broker.send(&second, &heartbeat(1000, 3));
    broker.send(&second, &request(2));
    worker.recv_timeout(PATIENCE).unwrap().done().unwrap();
    let done = Command::Done {
        request: RequestId(2),
    };
    assert_eq!(
        broker.expect().1,
        done,
        "nothing was sent for the abandoned job"
    );
}

#[test]
fn a_lost_connection_registers_again_at_once_with_ready_first() {
    let dir = tempfile::tempdir().unwrap();
    // Silence and backoff alone would take 3 s + 60 s to bring READY back: far past PATIENCE.
    let settings = Settings {
        backoff_initial: Duration::from_secs(60),
        backoff_max: Duration::from_secs(60),
        ..fast()
    };
    let first = Broker::bind(dir.path(), "broker");
    let worker = Worker::connect(&first.endpoint, &["hello"], 1, settings).unwrap();
    let identity = first.accept();
    first.send(&identity, &request(1));
    let held = worker.recv_timeout(PATIENCE).unwrap();
    drop(first);
    let second = Broker::bind(dir.path(), "broker");
    let (identity, command) = second.recv();
    assert!(
        matches!(command, Command::Ready { .. }),
        "READY before anything else: {command:?}"
    );
    assert!(
        held.is_cancelled(),
        "the broker lost it with the connection"
    );
    assert!(matches!(held.reply(b"late"), Err(Error::Abandoned)));
    held.done().unwrap();
    second.send(&identity, &heartbeat(1000, 3));
    second.send(&identity, &request(2));
    worker.recv_timeout(PATIENCE).unwrap().done().unwrap();
    assert_eq!(
        second.expect().1,
        Command::Done {
            request: RequestId(2)
        },
        "nothing was sent for the job of the lost connection"
    );
}

#[test]
fn disconnect_from_the_broker_abandons_and_registers_again() {
    let (_dir, broker) = broker();
    let worker = connect(&broker);
    let identity = broker.accept();
    broker.send(&identity, &request(1));
    let held = worker.recv_timeout(PATIENCE).unwrap();
    let reason = Some("not registered; send READY".to_owned());
    broker.send(&identity, &Command::Disconnect { reason });
    let (again, command) = broker.expect();
    assert!(matches!(command, Command::Ready { .. }), "{command:?}");
    assert_eq!(again, identity, "same socket");
    assert!(matches!(held.reply(b"late"), Err(Error::Abandoned)));
}

#[test]
fn reconnect_to_finishes_held_requests_then_moves() {
    let dir = tempfile::tempdir().unwrap();
    let a = Broker::bind(dir.path(), "a");
    let b = Broker::bind(dir.path(), "b");
    let worker = connect(&a);
    let identity = a.accept();
    a.send(&identity, &request(1));
    let job = worker.recv_timeout(PATIENCE).unwrap();
    let to = Command::ReconnectTo {
        endpoint: b.endpoint.clone(),
    };
    a.send(&identity, &to);
    job.reply(b"finishing").unwrap();
    job.done().unwrap();
    assert!(matches!(a.expect().1, Command::Reply { .. }));
    let done = Command::Done {
        request: RequestId(1),
    };
    assert_eq!(a.expect().1, done);
    assert_eq!(a.expect().1, Command::Disconnect { reason: None });
    let (moved, command) = b.expect();
    assert!(matches!(command, Command::Ready { .. }), "{command:?}");
    b.send(&moved, &request(2));
    assert_eq!(worker.recv_timeout(PATIENCE).unwrap().id(), RequestId(2));
}
