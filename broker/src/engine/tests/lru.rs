//! Least-recently-used dispatch with capacity.

use super::*;

#[test]
fn least_recently_used_slot_gets_the_next_request() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    let first = only_sent(&h.submit(1, "echo"));
    let second = only_sent(&h.submit(2, "echo"));
    assert_eq!((first.worker.as_str(), second.worker.as_str()), ("a", "b"));
    h.done("a", first.id);
    h.done("b", second.id);
    assert_eq!(
        dispatched_to(&h.submit(3, "echo")),
        ["a"],
        "a's slot came back first, so it is the LRU one"
    );
}

#[test]
fn a_slot_returns_to_the_back_on_done() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    let first = only_sent(&h.submit(1, "echo"));
    h.done("a", first.id);
    assert_eq!(
        dispatched_to(&h.submit(2, "echo")),
        ["b"],
        "b has waited longer than a's returned slot"
    );
}

#[test]
fn a_worker_with_capacity_n_contributes_n_slots() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 2);
    h.ready("b", &["echo"], 1);
    let workers: Vec<String> = (1..=3)
        .flat_map(|id| dispatched_to(&h.submit(id, "echo")))
        .collect();
    assert_eq!(workers, ["a", "a", "b"]);
    assert!(
        h.submit(4, "echo").is_empty(),
        "no slot left: the fourth waits"
    );
    let status = h.status();
    assert_eq!(
        (
            status.services[0].ready_slots,
            status.services[0].queue_depth
        ),
        (0, 1)
    );
}

#[test]
fn a_slot_taken_for_one_service_is_gone_from_the_others() {
    let mut h = Harness::new();
    h.ready("a", &["x", "y"], 1);
    let first = only_sent(&h.submit(1, "x"));
    assert!(h.submit(2, "y").is_empty(), "a's only slot is busy with x");
    assert!(h.status().services.iter().all(|s| s.ready_slots == 0));
    assert_eq!(
        only_sent(&h.done("a", first.id)).conn,
        2,
        "the freed slot serves y"
    );
}

#[test]
fn a_freed_slot_serves_the_oldest_waiting_request_across_services() {
    let mut h = Harness::new();
    h.ready("a", &["x", "y"], 1);
    let first = only_sent(&h.submit(1, "x"));
    h.at(100);
    h.submit(2, "y");
    h.at(200);
    h.submit(3, "x");
    assert_eq!(
        only_sent(&h.done("a", first.id)).conn,
        2,
        "y's request waited longest"
    );
}

#[test]
fn slots_are_reused_without_growing_state() {
    let mut h = Harness::new();
    h.ready("a", &["x", "y", "z"], 4);
    for id in 0..10_000 {
        let sent = only_sent(&h.submit(id, ["x", "y", "z"][(id % 3) as usize]));
        h.done("a", sent.id);
    }
    let status = h.status();
    assert!(status
        .services
        .iter()
        .all(|s| s.ready_slots == 4 && s.queue_depth == 0));
    assert_eq!(status.requests, 0);
    assert_eq!(status.counters.completed, 10_000);
}
