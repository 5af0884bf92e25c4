//! Replies: routed by UUID, bounded, and marking requests started.

use super::*;

fn routed(actions: &[Action]) -> Vec<Bytes> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ReplyToGateway { gateway, reply } if gateway == GW => Some(reply.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_reply_is_routed_to_the_gateway_named_by_its_uuid() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.submit(1, "echo");
    let out = h.reply("a", &[1]);
    assert_eq!(
        routed(&out),
        [Bytes::from_static(b"gw-1 1:1, HTTP/1.1 200 OK\r\n\r\n")]
    );
    assert_eq!(h.status().counters.replies_routed, 1);
}

#[test]
fn replies_stream_for_any_conn_ids_of_the_gateway() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.submit(1, "echo");
    for conns in [&[1][..], &[1, 2, 3], &[40]] {
        assert_eq!(routed(&h.reply("a", conns)).len(), 1);
    }
}

#[test]
fn a_reply_for_an_unknown_gateway_is_dropped_and_counted() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    let reply = Bytes::from_static(b"gw-9 1:1, x");
    assert!(h
        .handle(Event::WorkerReply {
            worker: b"a",
            reply
        })
        .is_empty());
    assert_eq!(h.status().counters.replies_unknown_gateway, 1);
}

#[test]
fn a_reply_without_a_readable_uuid_is_dropped_and_counted() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.submit(1, "echo");
    let reply = Bytes::from_static(b"gw_1 1:1, x");
    assert!(h
        .handle(Event::WorkerReply {
            worker: b"a",
            reply
        })
        .is_empty());
    assert_eq!(h.status().counters.replies_malformed, 1);
}

#[test]
fn a_reply_from_an_unregistered_worker_is_dropped_and_the_worker_told_to_register() {
    let mut h = Harness::new();
    h.submit(1, "echo");
    let out = h.reply("stranger", &[1]);
    assert!(routed(&out).is_empty());
    assert_eq!(commands_to(&out, "stranger", "DISCONNECT").len(), 1);
    assert_eq!(h.status().counters.unknown_worker_messages, 1);
}

#[test]
fn a_reply_to_another_connection_does_not_start_the_request() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    h.submit(1, "echo");
    h.reply("a", &[5]);
    assert_eq!(
        dispatched_to(&h.disconnect("a")),
        ["b"],
        "conn 1 got nothing, so it is retried"
    );
}

#[test]
fn a_reply_from_another_worker_for_the_connection_starts_the_request() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["other"], 1);
    h.submit(1, "echo");
    h.reply("b", &[1]);
    assert_eq!(
        fails(&h.disconnect("a")),
        [failed(1, 502, FailReason::WorkerLost)]
    );
}

#[test]
fn a_reply_with_unreadable_ids_counts_as_started_for_that_workers_requests() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    h.submit(1, "echo");
    let reply = Bytes::from_static(b"gw-1 5:1  2, x");
    assert_eq!(
        routed(&h.handle(Event::WorkerReply {
            worker: b"a",
            reply
        }))
        .len(),
        1,
        "the gateway decides"
    );
    assert_eq!(
        fails(&h.disconnect("a")),
        [failed(1, 502, FailReason::WorkerLost)]
    );
}

#[test]
fn a_second_request_on_a_busy_connection_is_never_retried() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 2);
    h.ready("b", &["echo"], 2);
    for id in [1, 2] {
        let payload = json_payload(9);
        h.handle(Event::Submit {
            gateway: GW,
            request: id,
            service: "echo",
            payload,
            deadline: None,
            idempotent: true,
        });
    }
    let out = h.disconnect("a");
    assert_eq!(dispatched_to(&out), ["b"], "the first one is retried");
    assert_eq!(
        fails(&out),
        [failed(2, 502, FailReason::WorkerLost)],
        "replies could not tell the second apart"
    );
}

#[test]
fn a_stray_done_frees_nothing() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    let first = only_sent(&h.submit(1, "echo"));
    assert!(h.done("b", first.id).is_empty(), "b does not hold it");
    assert!(h.done("a", RequestId(u64::MAX)).is_empty());
    assert!(h.done("nobody", first.id).is_empty());
    assert_eq!(h.status().counters.stray_dones, 3);
    assert_eq!(
        h.status()
            .workers
            .iter()
            .map(|w| w.in_flight)
            .collect::<Vec<_>>(),
        [1, 0]
    );
}
