//! CANCEL from the gateway: out of the queue, or a Mongrel2 disconnect notice to the worker.

use super::*;

#[test]
fn cancel_removes_a_queued_request() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    let first = only_sent(&h.submit(1, "echo"));
    h.submit(2, "echo");
    assert!(h.cancel(2).is_empty());
    assert_eq!(h.status().services[0].queue_depth, 0);
    assert!(
        sent(&h.done("a", first.id)).is_empty(),
        "the cancelled request is never dispatched"
    );
    assert_eq!(h.status().services[0].ready_slots, 1);
}

#[test]
fn cancel_in_flight_sends_the_mongrel2_disconnect_notice_and_the_slot_waits_for_done() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    let first = only_sent(&h.submit(7, "echo"));
    h.submit(8, "echo");
    let out = h.cancel(7);
    let notice = Bytes::from_static(br#"gw-1 7 @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},"#);
    assert_eq!(
        commands_to(&out, "a", "CANCEL"),
        [&Command::Cancel {
            request: first.id,
            notice
        }]
    );
    assert!(
        sent(&out).is_empty(),
        "no new work until the worker says DONE"
    );
    assert_eq!(only_sent(&h.done("a", first.id)).conn, 8);
}

#[test]
fn the_notice_follows_the_request_header_format() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    let payload = Bytes::from_static(b"gw-1 3 /form 16:6:METHOD,4:POST,}0:,");
    let event = Event::Submit {
        gateway: GW,
        request: 3,
        service: "echo",
        payload,
        deadline: None,
        idempotent: false,
    };
    h.handle(event);
    let out = h.cancel(3);
    let notice = Bytes::from_static(br#"gw-1 3 @* 16:6:METHOD,4:JSON,}21:{"type":"disconnect"},"#);
    assert!(
        matches!(commands_to(&out, "a", "CANCEL")[..], [Command::Cancel { notice: n, .. }] if *n == notice)
    );
}

#[test]
fn a_cancel_for_nothing_is_counted() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    let first = only_sent(&h.submit(1, "echo"));
    h.done("a", first.id);
    assert!(h.cancel(1).is_empty(), "already finished");
    assert!(h.cancel(99).is_empty());
    assert_eq!(h.status().counters.stray_cancels, 2);
}

#[test]
fn a_cancelled_request_is_never_retried() {
    let mut h = Harness::new();
    h.ready("a", &["echo"], 1);
    h.ready("b", &["echo"], 1);
    h.submit(1, "echo");
    h.cancel(1);
    let out = h.disconnect("a");
    assert!(sent(&out).is_empty() && fails(&out).is_empty());
    assert_eq!(h.status().requests, 0);
}
