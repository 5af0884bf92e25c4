//! Frames in, actions out: the protocol's error policy and a full exchange over both codecs.

use super::*;
use crate::protocol::{self, gateway};

fn worker_frames(h: &mut Harness, worker: &str, frames: &[&[u8]]) -> Vec<Action> {
    let mut out = Vec::new();
    h.engine
        .handle_worker_frames(worker.as_bytes(), frames, h.now, &mut out);
    out
}

fn gateway_frames(h: &mut Harness, frames: &[Bytes]) -> Vec<Action> {
    let mut out = Vec::new();
    h.engine.handle_gateway_frames(GW, frames, h.now, &mut out);
    out
}

#[test]
fn a_full_exchange_over_both_protocols() {
    let mut h = Harness::new();
    worker_frames(&mut h, "w", &[b"", b"S0W1", b"\x01", b"1", b"echo"]);
    let submit = gateway::Command::Submit {
        request: 5,
        service: ServiceName::new(b"echo").unwrap(),
        deadline: Some(Duration::from_millis(800)),
        idempotent: true,
        payload: json_payload(5),
    };
    let request = only_sent(&gateway_frames(&mut h, &gateway::encode(&submit)));
    let reply = b"gw-1 1:5, HTTP/1.1 204 No Content\r\n\r\n";
    let out = worker_frames(&mut h, "w", &[b"", b"S0W1", b"\x03", reply]);
    assert_eq!(
        out,
        [Action::ReplyToGateway {
            gateway: Bytes::from_static(GW),
            reply: Bytes::from_static(reply)
        }]
    );
    let done = protocol::encode(&Command::Done {
        request: request.id,
    });
    assert!(worker_frames(
        &mut h,
        "w",
        &done.iter().map(|f| &f[..]).collect::<Vec<_>>()
    )
    .is_empty());
    assert_eq!(h.status().counters.completed, 1);
    let cancel = gateway::encode(&gateway::Command::Cancel { request: 5 });
    assert!(gateway_frames(&mut h, &cancel).is_empty());
    assert_eq!(
        h.status().counters.stray_cancels,
        1,
        "it had finished already"
    );
}

#[test]
fn reply_done_routes_the_reply_then_frees_the_slot() {
    let mut h = Harness::new();
    worker_frames(&mut h, "w", &[b"", b"S0W1", b"\x01", b"1", b"echo"]);
    let submit = |conn: u32| gateway::Command::Submit {
        request: u64::from(conn),
        service: ServiceName::new(b"echo").unwrap(),
        deadline: Some(Duration::from_millis(800)),
        idempotent: true,
        payload: json_payload(conn),
    };
    let first = only_sent(&gateway_frames(&mut h, &gateway::encode(&submit(5))));
    assert!(
        gateway_frames(&mut h, &gateway::encode(&submit(6))).is_empty(),
        "capacity 1: the second request waits"
    );
    let reply = Bytes::from_static(b"gw-1 1:5, HTTP/1.1 204 No Content\r\n\r\n");
    let frames = protocol::encode(&Command::ReplyDone {
        request: first.id,
        reply: reply.clone(),
    });
    let out = worker_frames(
        &mut h,
        "w",
        &frames.iter().map(|f| &f[..]).collect::<Vec<_>>(),
    );
    assert_eq!(
        out.first(),
        Some(&Action::ReplyToGateway {
            gateway: Bytes::from_static(GW),
            reply
        })
    );
    let second = only_sent(&out[1..]);
    assert_eq!((second.worker.as_str(), second.conn), ("w", 6));
    assert_eq!(h.status().counters.completed, 1);
}

#[test]
fn the_gateway_deadline_is_relative_to_arrival() {
    let mut h = Harness::new();
    h.at(100);
    let submit = gateway::Command::Submit {
        request: 1,
        service: ServiceName::new(b"none").unwrap(),
        deadline: Some(Duration::from_millis(300)),
        idempotent: false,
        payload: json_payload(1),
    };
    gateway_frames(&mut h, &gateway::encode(&submit));
    assert!(fails(&h.at(399)).is_empty());
    assert_eq!(fails(&h.at(400)), [unavailable(1, FailReason::NoWorker)]);
}

#[test]
fn an_unknown_command_gets_disconnect_and_unregisters_the_worker() {
    let mut h = Harness::new();
    h.ready("w", &["echo"], 1);
    let out = worker_frames(&mut h, "w", &[b"", b"S0W1", b"\x7f"]);
    assert_eq!(commands_to(&out, "w", "DISCONNECT").len(), 1);
    assert!(out.contains(&Action::ForgetWorker {
        worker: Bytes::from_static(b"w")
    }));
    assert_eq!(h.status().counters.unknown_commands, 1);
}

#[test]
fn another_protocol_version_gets_disconnect() {
    let mut h = Harness::new();
    let out = worker_frames(&mut h, "w", &[b"", b"S0W3", b"\x01", b"1", b"echo"]);
    assert!(matches!(
        commands_to(&out, "w", "DISCONNECT")[..],
        [Command::Disconnect { reason: Some(r) }] if r.contains("S0W1 and S0W2")
    ));
}

#[test]
fn a_broker_command_sent_by_a_worker_gets_disconnect() {
    let mut h = Harness::new();
    let out = worker_frames(&mut h, "w", &[b"", b"S0W1", b"\x07", b"tcp://x:1"]);
    assert_eq!(commands_to(&out, "w", "DISCONNECT").len(), 1);
}

#[test]
fn malformed_messages_are_dropped_and_counted() {
    let mut h = Harness::new();
    h.ready("w", &["echo"], 1);
    assert!(worker_frames(&mut h, "w", &[b"", b"S0W1", b"\x04", b"short"]).is_empty());
    assert!(worker_frames(&mut h, "w", &[b"junk"]).is_empty());
    assert!(gateway_frames(
        &mut h,
        &[
            Bytes::new(),
            Bytes::from_static(b"S0G1"),
            Bytes::from_static(b"\x01")
        ]
    )
    .is_empty());
    assert_eq!(h.status().counters.malformed_messages, 3);
    assert_eq!(
        h.status().workers.len(),
        1,
        "a malformed message does not cost the worker its registration"
    );
}

#[test]
fn a_submit_whose_payload_names_another_sender_fails_502() {
    let mut h = Harness::new();
    h.ready("w", &["echo"], 1);
    let payload = Bytes::from_static(b"gw-2 1 / 2:{},0:,");
    let out = h.handle(Event::Submit {
        gateway: GW,
        request: 1,
        service: "echo",
        payload,
        deadline: None,
        idempotent: true,
    });
    assert_eq!(fails(&out), [failed(1, 502, FailReason::BadSubmit)]);
    let payload = Bytes::from_static(b"not mongrel2");
    let out = h.handle(Event::Submit {
        gateway: GW,
        request: 2,
        service: "echo",
        payload,
        deadline: None,
        idempotent: true,
    });
    assert_eq!(fails(&out), [failed(2, 502, FailReason::BadSubmit)]);
}

#[test]
fn a_duplicate_request_id_is_ignored_and_counted() {
    let mut h = Harness::new();
    h.submit(1, "echo");
    assert!(h.submit(1, "echo").is_empty());
    assert_eq!(h.status().counters.duplicate_submits, 1);
    assert_eq!(h.status().services[0].queue_depth, 1);
}
