//! Heartbeats both ways and expiry of silent peers.

use super::*;
use crate::protocol::HeartbeatTiming;

#[test]
fn ready_is_answered_with_a_heartbeat_announcing_the_timing() {
    let mut h = Harness::new();
    let out = h.ready("a", &["echo"], 1);
    let timing = Some(HeartbeatTiming {
        interval_ms: 1000,
        liveness: 3,
    });
    assert_eq!(
        commands_to(&out, "a", "HEARTBEAT"),
        [&Command::Heartbeat { timing }]
    );
}

#[test]
fn the_engine_heartbeats_workers_and_gateways_every_interval() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    assert!(h.at(999).is_empty());
    let out = h.at(1000);
    assert_eq!(commands_to(&out, "a", "HEARTBEAT").len(), 1);
    assert!(out.contains(&Action::HeartbeatGateway {
        gateway: Bytes::from_static(GW)
    }));
    h.heartbeat("a");
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    assert!(h.at(1999).is_empty(), "next round one interval later");
    assert_eq!(commands_to(&h.at(2000), "a", "HEARTBEAT").len(), 1);
}

#[test]
fn a_new_gateway_hears_a_heartbeat_at_once_and_a_known_one_waits_for_the_round() {
    let mut h = Harness::new();
    let hello = Action::HeartbeatGateway {
        gateway: Bytes::from_static(GW),
    };
    assert_eq!(h.handle(Event::GatewayHeartbeat { gateway: GW }), [hello]);
    assert!(h.handle(Event::GatewayHeartbeat { gateway: GW }).is_empty());
}

#[test]
fn a_worker_silent_for_liveness_intervals_is_dead() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.at(1000);
    h.heartbeat("a");
    h.at(2000);
    h.at(3000);
    let out = h.at(3999);
    assert!(
        !out.iter().any(|a| matches!(a, Action::ForgetWorker { .. })),
        "heard at 1 s: alive until 4 s"
    );
    let out = h.at(4000);
    assert_eq!(commands_to(&out, "a", "DISCONNECT").len(), 1);
    assert!(out.contains(&Action::ForgetWorker {
        worker: Bytes::from_static(b"a")
    }));
    assert!(h.status().workers.is_empty());
    assert_eq!(h.status().counters.workers_expired, 1);
    assert!(
        h.submit(1, "echo").is_empty(),
        "no slot left: the request waits"
    );
}

#[test]
fn any_message_from_a_worker_counts_as_a_heartbeat() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    for second in 1..=10 {
        let sent = only_sent(&h.submit(second, "echo"));
        h.done("a", sent.id);
        let out = h.at(second * 1000);
        assert!(!out.iter().any(|a| matches!(a, Action::ForgetWorker { .. })));
    }
    assert_eq!(h.status().workers.len(), 1);
}

#[test]
fn a_silent_gateway_is_forgotten_and_its_requests_withdrawn() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    let first = only_sent(&h.submit(1, "echo"));
    h.submit(2, "echo");
    for second in 1..=2 {
        h.heartbeat("a");
        h.at(second * 1000);
    }
    h.heartbeat("a");
    let out = h.at(3000);
    assert!(out.contains(&Action::ForgetGateway {
        gateway: Bytes::from_static(GW)
    }));
    assert_eq!(
        commands_to(&out, "a", "CANCEL").len(),
        1,
        "the in-flight request is cancelled at its worker"
    );
    assert!(fails(&out).is_empty(), "nobody to tell");
    assert_eq!(
        h.status().services[0].queue_depth,
        0,
        "the queued one is dropped"
    );
    assert!(
        sent(&h.done("a", first.id)).is_empty(),
        "nothing left to dispatch"
    );
    assert_eq!(h.status().services[0].ready_slots, 1);
}

#[test]
fn a_gateway_that_keeps_heartbeating_stays_known() {
    let mut h = Harness::new();
    h.handle(Event::GatewayHeartbeat { gateway: GW });
    for second in 1..=10 {
        h.handle(Event::GatewayHeartbeat { gateway: GW });
        h.at(second * 1000);
    }
    assert_eq!(h.status().gateways, 1);
}
