//! Worker death (DISCONNECT or expiry): retry or 502; reply deadline: 504.

use super::*;

#[test]
fn an_idempotent_request_is_redispatched_when_its_worker_dies() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    let first = only_sent(&h.submit(1, "echo"));
    assert_eq!(first.worker, "a");
    let out = h.disconnect("a");
    let again = only_sent(&out);
    assert_eq!((again.worker.as_str(), again.conn), ("b", 1));
    assert!(fails(&out).is_empty());
    assert!(out.contains(&Action::ForgetWorker {
        worker: Bytes::from_static(b"a")
    }));
    assert_eq!(h.status().counters.retried, 1);
    assert!(sent(&h.done("b", again.id)).is_empty());
    assert_eq!(h.status().requests, 0);
}

#[test]
fn a_retried_request_goes_to_the_front_of_the_queue() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    h.submit(1, "echo");
    let second = only_sent(&h.submit(2, "echo"));
    h.submit(3, "echo");
    assert!(h
        .disconnect("a")
        .iter()
        .all(|a| !matches!(a, Action::Fail { .. })));
    assert_eq!(
        only_sent(&h.done("b", second.id)).conn,
        1,
        "the retry jumps ahead of request 3"
    );
}

#[test]
fn a_non_idempotent_request_fails_502_when_its_worker_dies() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    h.submit_with(1, "echo", false, None);
    let out = h.disconnect("a");
    assert_eq!(fails(&out), [failed(1, 502, FailReason::WorkerLost)]);
    assert!(sent(&out).is_empty());
}

#[test]
fn a_request_with_a_reply_already_sent_fails_502_when_its_worker_dies() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    h.submit(1, "echo");
    h.reply("a", &[1]);
    assert_eq!(
        fails(&h.disconnect("a")),
        [failed(1, 502, FailReason::WorkerLost)]
    );
}

#[test]
fn retries_are_bounded_by_max_retries() {
    let mut h = Harness::with(Config {
        max_retries: 1,
        ..Config::default()
    });
    for worker in ["a", "b", "c"] {
        h.ready(worker, &["echo"], 1);
    }
    h.submit(1, "echo");
    assert_eq!(dispatched_to(&h.disconnect("a")), ["b"]);
    let out = h.disconnect("b");
    assert_eq!(fails(&out), [failed(1, 502, FailReason::WorkerLost)]);
    assert!(sent(&out).is_empty(), "c never sees it");
}

#[test]
fn no_retry_at_all_when_max_retries_is_zero() {
    let mut h = Harness::with(Config {
        max_retries: 0,
        ..Config::default()
    });
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    h.submit(1, "echo");
    assert_eq!(
        fails(&h.disconnect("a")),
        [failed(1, 502, FailReason::WorkerLost)]
    );
}

#[test]
fn a_silent_worker_fails_its_requests_when_it_expires() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 2);
    h.submit(1, "echo");
    h.submit_with(2, "echo", false, None);
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    h.at(1000);
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    h.at(2000);
    h.ready("b", &["echo"], 1);
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    let out = h.at(3000);
    assert_eq!(fails(&out), [failed(2, 502, FailReason::WorkerLost)]);
    assert_eq!(dispatched_to(&out), ["b"], "the idempotent one moves to b");
}

#[test]
fn a_worker_that_never_replies_gets_504_and_a_cancel_at_the_deadline() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    let first = only_sent(&h.submit_with(1, "echo", false, Some(500)));
    h.submit(2, "echo");
    let out = h.at(500);
    assert_eq!(fails(&out), [failed(1, 504, FailReason::ReplyTimeout)]);
    assert_eq!(commands_to(&out, "a", "CANCEL").len(), 1);
    assert!(
        sent(&out).is_empty(),
        "the worker keeps its slot until DONE"
    );
    assert_eq!(only_sent(&h.done("a", first.id)).conn, 2);
}

#[test]
fn a_started_request_is_not_timed_out_by_the_broker() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.submit_with(1, "echo", false, Some(500));
    h.reply("a", &[1]);
    let out = h.at(500);
    assert!(
        fails(&out).is_empty(),
        "the gateway's idle and total timeouts apply once a reply started"
    );
}

#[test]
fn a_dead_workers_slots_leave_the_ready_queue() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 3);
    h.ready("b", &["echo"], 1);
    h.disconnect("a");
    assert_eq!(h.status().services[0].ready_slots, 1);
    assert_eq!(dispatched_to(&h.submit(1, "echo")), ["b"]);
    assert!(h.submit(2, "echo").is_empty());
}
