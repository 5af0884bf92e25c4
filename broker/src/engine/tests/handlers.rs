//! Services backed by Mongrel2 handlers: the cap on outstanding requests, slots freed by the first
//! reply, requests the PUSH refused kept in order, deadlines, disconnect notices.

use super::*;
use crate::engine::{ControlError, HandlerError, HandlerId, MAX_HANDLER_OUTSTANDING};

const NOTICE_TAIL: &str = r#" @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},"#;

impl Harness {
    fn handlers(&mut self, service: &str, max_outstanding: u32) -> HandlerId {
        let now = self.now;
        self.engine
            .add_handler_service(service, max_outstanding, now)
            .unwrap()
    }

    /// A handler publishes a reply to `gw-1` for `conn` on service `handler`'s SUB.
    fn handler_reply(&mut self, handler: HandlerId, conn: u32) -> Vec<Action> {
        let reply = Bytes::from(format!(
            "gw-1 {}:{conn}, HTTP/1.1 200 OK\r\n\r\n",
            conn.to_string().len()
        ));
        self.handle(Event::HandlerReply { handler, reply })
    }
}

/// The conn ids of the requests handed to handlers' PUSH, in order, with their ids and payloads.
fn pushed(actions: &[Action]) -> Vec<(u32, RequestId, Bytes)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::RequestToHandler {
                request, payload, ..
            } => {
                let conn = envelope::request_head(payload).unwrap().conn_id;
                Some((conn, *request, payload.clone()))
            }
            _ => None,
        })
        .collect()
}

fn pushed_conns(actions: &[Action]) -> Vec<u32> {
    pushed(actions).into_iter().map(|(conn, ..)| conn).collect()
}

/// The disconnect notices among the actions.
fn notices(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::NoticeToHandler { notice, .. } => {
                Some(String::from_utf8_lossy(notice).into_owned())
            }
            _ => None,
        })
        .collect()
}

fn notice(conn: u32) -> String {
    format!("gw-1 {conn}{NOTICE_TAIL}")
}

#[test]
fn at_most_max_outstanding_go_out_and_the_first_reply_for_a_connection_frees_its_slot() {
    let mut h = Harness::new();
    let m2 = h.handlers("m2", 2);
    let out: Vec<Action> = (1..=4).flat_map(|id| h.submit(id, "m2")).collect();
    assert_eq!(pushed_conns(&out), [1, 2]);
    let service = &h.status().services[0];
    assert_eq!((service.queue_depth, service.ready_slots), (2, 0));
    let out = h.handler_reply(m2, 1);
    assert!(matches!(&out[0], Action::ReplyToGateway { gateway, .. } if gateway == GW));
    assert_eq!(pushed_conns(&out), [3], "the freed slot serves the queue");
    let out = h.handler_reply(m2, 1);
    assert_eq!(out.len(), 1, "later replies are only routed: {out:?}");
    assert_eq!(h.status().counters.completed, 1);
    assert_eq!(h.status().workers[0].in_flight, 2);
}

#[test]
fn requests_the_push_refused_wait_in_order_until_it_is_writable() {
    let mut h = Harness::new();
    let m2 = h.handlers("m2", 8);
    let out: Vec<Action> = (1..=3).flat_map(|id| h.submit(id, "m2")).collect();
    let refused = pushed(&out);
    assert_eq!(refused.len(), 3);
    for (_, request, payload) in refused.into_iter().rev() {
        let event = Event::HandlerBusy {
            handler: m2,
            request,
            payload,
        };
        assert!(pushed(&h.handle(event)).is_empty());
    }
    assert!(
        pushed(&h.submit(4, "m2")).is_empty(),
        "paused: nothing goes out"
    );
    let status = h.status();
    assert_eq!(status.services[0].queue_depth, 4);
    assert_eq!(
        (
            status.counters.dispatched,
            status.counters.handler_sends_deferred
        ),
        (0, 3)
    );
    let out = h.handle(Event::HandlerWritable { handler: m2 });
    assert_eq!(pushed_conns(&out), [1, 2, 3, 4], "in submit order");
}

#[test]
fn a_request_no_handler_took_fails_with_503_at_its_deadline() {
    let mut h = Harness::new();
    let m2 = h.handlers("m2", 1);
    let (_, request, payload) = pushed(&h.submit_with(1, "m2", true, Some(100))).remove(0);
    h.handle(Event::HandlerBusy {
        handler: m2,
        request,
        payload,
    });
    assert!(fails(&h.at(99)).is_empty());
    assert_eq!(fails(&h.at(100)), [unavailable(1, FailReason::NoWorker)]);
    assert_eq!(h.status().requests, 0);
}

#[test]
fn a_silent_handler_gets_504_a_disconnect_notice_and_the_slot_back() {
    let mut h = Harness::new();
    h.handlers("m2", 1);
    assert_eq!(pushed_conns(&h.submit_with(1, "m2", true, Some(100))), [1]);
    h.submit_with(2, "m2", true, Some(10_000));
    let out = h.at(100);
    assert_eq!(fails(&out), [failed(1, 504, FailReason::ReplyTimeout)]);
    assert_eq!(notices(&out), [notice(1)]);
    assert_eq!(pushed_conns(&out), [2], "the slot serves the queue");
}

#[test]
fn a_cancelled_request_keeps_its_slot_until_a_reply_or_its_deadline() {
    let mut h = Harness::new();
    let m2 = h.handlers("m2", 1);
    h.submit_with(1, "m2", true, Some(100));
    h.submit_with(2, "m2", true, Some(1_000));
    let out = h.cancel(1);
    assert_eq!(notices(&out), [notice(1)]);
    assert!(
        pushed(&out).is_empty(),
        "the handler may still be working on it"
    );
    assert_eq!(pushed_conns(&h.handler_reply(m2, 1)), [2]);
    assert_eq!(notices(&h.cancel(2)), [notice(2)]);
    h.submit_with(3, "m2", true, Some(5_000));
    let out = h.at(1_000);
    assert!(
        fails(&out).is_empty(),
        "the gateway no longer waits: {out:?}"
    );
    assert_eq!(pushed_conns(&out), [3]);
    assert_eq!(h.cancel(2), [], "the gateway's id is forgotten");
}

#[test]
fn a_refused_request_cancelled_meanwhile_is_dropped() {
    let mut h = Harness::new();
    let m2 = h.handlers("m2", 1);
    let (_, request, payload) = pushed(&h.submit(1, "m2")).remove(0);
    assert_eq!(notices(&h.cancel(1)), [notice(1)]);
    h.handle(Event::HandlerBusy {
        handler: m2,
        request,
        payload,
    });
    assert_eq!(h.status().requests, 0);
    assert!(pushed(&h.handle(Event::HandlerWritable { handler: m2 })).is_empty());
    assert_eq!(pushed_conns(&h.submit(2, "m2")), [2], "the slot was freed");
}

#[test]
fn a_worker_reply_for_the_connection_also_frees_a_handler_slot() {
    let mut h = Harness::new();
    h.handlers("m2", 1);
    h.ready("a", &["other"], 1);
    h.submit(1, "m2");
    h.submit(2, "m2");
    assert_eq!(pushed_conns(&h.reply("a", &[1])), [2]);
}

#[test]
fn the_handlers_pseudo_worker_gets_no_heartbeat_never_expires_and_cannot_be_kicked() {
    let mut h = Harness::new();
    h.handlers("m2", 3);
    h.ready("a", &["other"], 1);
    for second in 1..=10 {
        let out = h.at(second * 1000);
        assert!(
            commands_to(&out, "handlers:m2", "HEARTBEAT").is_empty()
                && commands_to(&out, "handlers:m2", "DISCONNECT").is_empty(),
            "{out:?}"
        );
        h.heartbeat("a");
    }
    let status = h.status();
    let pseudo = status.workers.iter().find(|w| w.identity == "handlers:m2");
    assert!(pseudo.is_some_and(|w| w.capacity == 3 && w.services == ["m2"]));
    let mut out = Vec::new();
    assert!(matches!(
        h.engine.kick_worker(b"handlers:m2", &mut out),
        Err(ControlError::UnknownWorker { .. })
    ));
    assert_eq!(pushed_conns(&h.submit(1, "m2")), [1]);
}

#[test]
fn shutdown_fails_what_handlers_hold_with_502() {
    let mut h = Harness::new();
    h.handlers("m2", 1);
    h.submit(1, "m2");
    h.submit(2, "m2");
    let mut out = Vec::new();
    h.engine.shutdown(&mut out);
    assert_eq!(
        fails(&out),
        [
            failed(1, 502, FailReason::WorkerLost),
            unavailable(2, FailReason::Overloaded)
        ]
    );
    assert!(commands_to(&out, "handlers:m2", "DISCONNECT").is_empty());
}

#[test]
fn bad_handler_services_are_refused_naming_the_service() {
    let mut h = Harness::new();
    let mut add = |service: &str, max| h.engine.add_handler_service(service, max, h.now);
    assert_eq!(
        add("bad name", 1),
        Err(HandlerError::Service {
            service: "bad name".into()
        })
    );
    for max in [0, MAX_HANDLER_OUTSTANDING + 1] {
        assert_eq!(
            add("m2", max),
            Err(HandlerError::MaxOutstanding {
                service: "m2".into(),
                max: MAX_HANDLER_OUTSTANDING
            })
        );
    }
    assert!(add("m2", 1).is_ok());
    assert_eq!(
        add("m2", 1),
        Err(HandlerError::Duplicate {
            service: "m2".into()
        })
    );
}
