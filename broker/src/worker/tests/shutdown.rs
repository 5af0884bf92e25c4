//! Graceful shutdown: DRAIN, finish in-flight requests, DISCONNECT.

use std::time::Duration;

use super::{broker, fast, request, PATIENCE};
use crate::protocol::{Command, RequestId};
use crate::worker::Worker;

#[test]
fn shutdown_drains_waits_for_held_requests_then_disconnects() {
    let (_dir, broker) = broker();
    let worker = Worker::connect(&broker.endpoint, &["hello"], 2, fast()).unwrap();
    let identity = broker.accept();
    broker.send(&identity, &request(1));
    let job = worker.recv_timeout(PATIENCE).unwrap();
    let stopping = {
        let worker = worker.clone();
        std::thread::spawn(move || worker.shutdown(PATIENCE))
    };
    assert_eq!(broker.expect().1, Command::Drain);
    broker.send(&identity, &request(2));
    let late = worker.recv_timeout(PATIENCE).unwrap();
    assert_eq!(
        late.id(),
        RequestId(2),
        "requests sent before DRAIN arrived are served"
    );
    late.done().unwrap();
    job.reply(b"last words").unwrap();
    job.done().unwrap();
    let done = |id| Command::Done {
        request: RequestId(id),
    };
    assert_eq!(broker.expect().1, done(2));
    assert!(matches!(broker.expect().1, Command::Reply { .. }));
    assert_eq!(broker.expect().1, done(1));
    assert_eq!(broker.expect().1, Command::Disconnect { reason: None });
    stopping.join().unwrap().unwrap();
    assert!(worker.is_stopped());
    assert!(worker.recv().is_none());
}

#[test]
fn an_idle_worker_stops_at_once() {
    let (_dir, broker) = broker();
    let worker = Worker::connect(&broker.endpoint, &["hello"], 1, fast()).unwrap();
    broker.accept();
    let waiting = {
        let worker = worker.clone();
        std::thread::spawn(move || worker.recv())
    };
    worker.shutdown(Duration::MAX).unwrap();
    assert_eq!(broker.expect().1, Command::Drain);
    assert_eq!(broker.expect().1, Command::Disconnect { reason: None });
    assert!(
        waiting.join().unwrap().is_none(),
        "blocked recv returns None"
    );
}

#[test]
fn dropping_the_last_handle_shuts_down() {
    let (_dir, broker) = broker();
    let worker = Worker::connect(&broker.endpoint, &["hello"], 1, fast()).unwrap();
    broker.accept();
    drop(worker);
    assert_eq!(broker.expect().1, Command::Drain);
    assert_eq!(broker.expect().1, Command::Disconnect { reason: None });
}
