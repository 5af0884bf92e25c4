//! Bounded per-service queues, deadlines while queued, unknown services.

use super::*;

#[test]
fn a_request_waits_for_a_slot_and_waiters_go_in_order() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    let first = only_sent(&h.submit(1, "echo"));
    assert!(h.submit(2, "echo").is_empty());
    assert!(h.submit(3, "echo").is_empty());
    let second = only_sent(&h.done("a", first.id));
    assert_eq!(second.conn, 2);
    assert_eq!(only_sent(&h.done("a", second.id)).conn, 3);
}

#[test]
fn a_full_queue_refuses_at_once_with_retry_after() {
    let mut h = Harness::with(Config {
        max_queue: 1,
        ..Config::default()
    });
    h.ready("a", &["echo"], 1);
    h.submit(1, "echo");
    assert!(h.submit(2, "echo").is_empty(), "one may wait");
    assert_eq!(
        fails(&h.submit(3, "echo")),
        [unavailable(3, FailReason::QueueFull)]
    );
    assert_eq!(h.status().counters.failed_503, 1);
}

#[test]
fn max_queue_can_be_set_per_service() {
    let mut config = Config::default();
    config.max_queue_per_service.insert("slow".into(), 0);
    let mut h = Harness::with(config);
    h.ready("a", &["slow", "fast"], 1);
    h.submit(1, "slow");
    assert!(h.submit(2, "fast").is_empty(), "fast may queue");
    assert_eq!(
        fails(&h.submit(3, "slow")),
        [unavailable(3, FailReason::QueueFull)]
    );
}

#[test]
fn a_zero_length_queue_still_dispatches_to_a_free_slot() {
    let mut h = Harness::with(Config {
        max_queue: 0,
        ..Config::default()
    });
    h.ready("a", &["echo"], 1);
    assert_eq!(dispatched_to(&h.submit(1, "echo")), ["a"]);
    assert_eq!(
        fails(&h.submit(2, "echo")),
        [unavailable(2, FailReason::QueueFull)]
    );
}

#[test]
fn a_request_expired_in_the_queue_gets_503_with_retry_after() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.submit(1, "echo");
    h.submit_with(2, "echo", true, Some(2000));
    assert!(fails(&h.at(1999)).is_empty());
    assert_eq!(
        fails(&h.at(2000)),
        [unavailable(2, FailReason::QueueTimeout)]
    );
    assert_eq!(h.status().services[0].queue_depth, 0);
}

#[test]
fn the_default_deadline_applies_when_the_submit_has_none() {
    let mut h = Harness::with(Config {
        default_deadline: Duration::from_secs(5),
        ..Config::default()
    });
    h.ready("a", &["echo"], 1);
    h.submit(1, "echo");
    h.submit(2, "echo");
    for ms in (1000..5000).step_by(1000) {
        h.heartbeat("a");
        h.handle(Event::GatewayHeartbeat { gateway: GW });
        assert!(fails(&h.at(ms)).is_empty());
    }
    h.heartbeat("a");
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    let expected = [
        failed(1, 504, FailReason::ReplyTimeout),
        unavailable(2, FailReason::QueueTimeout),
    ];
    assert_eq!(
        fails(&h.at(5000)),
        expected,
        "both share the default deadline"
    );
}

#[test]
fn an_unknown_service_waits_for_a_worker_that_is_starting() {
    let mut h = Harness::new();
    assert!(h.submit(1, "new").is_empty());
    h.at(1500);
    assert_eq!(
        h.status().services[0].oldest_wait,
        Some(Duration::from_millis(1500))
    );
    assert_eq!(dispatched_to(&h.ready("late", &["new"], 1)), ["late"]);
}

#[test]
fn an_unknown_service_gets_503_no_worker_at_the_deadline() {
    let mut h = Harness::new();
    h.submit_with(1, "ghost", true, Some(3000));
    assert_eq!(
        h.engine.next_deadline(),
        Some(h.t0 + Duration::from_millis(1000)),
        "heartbeat round first"
    );
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    h.at(1000);
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    h.at(2000);
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    assert_eq!(fails(&h.at(3000)), [unavailable(1, FailReason::NoWorker)]);
}

#[test]
fn next_deadline_is_the_earliest_pending_timer() {
    let mut h = Harness::new();
    assert_eq!(h.engine.next_deadline(), None, "nothing pending");
    h.submit_with(1, "echo", true, Some(200));
    assert_eq!(
        h.engine.next_deadline(),
        Some(h.t0 + Duration::from_millis(200))
    );
    h.at(200);
    assert_eq!(
        h.engine.next_deadline(),
        Some(h.t0 + Duration::from_millis(1000))
    );
}

#[test]
fn idle_services_are_swept_on_the_heartbeat() {
    let mut h = Harness::new();
    h.submit_with(1, "typo", true, Some(10));
    h.at(10);
    assert_eq!(h.status().services.len(), 1);
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    h.at(1000);
    assert!(h.status().services.is_empty());
}

#[test]
fn submits_beyond_the_request_table_get_503() {
    let mut h = Harness::with(Config {
        max_requests: 2,
        ..Config::default()
    });
    h.submit(1, "echo");
    h.submit(2, "echo");
    assert_eq!(
        fails(&h.submit(3, "echo")),
        [unavailable(3, FailReason::Overloaded)]
    );
}
