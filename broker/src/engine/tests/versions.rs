//! Protocol versions: every peer is answered in the version it speaks.

use super::*;
use crate::protocol::{self, gateway, Version};

fn worker_frames(h: &mut Harness, worker: &str, frames: &[Bytes]) -> Vec<Action> {
    let mut out = Vec::new();
    h.engine
        .handle_worker_frames(worker.as_bytes(), frames, h.now, &mut out);
    out
}

fn ready(h: &mut Harness, worker: &str, version: Version) -> Vec<Action> {
    let ready = Command::Ready {
        services: vec![ServiceName::new(b"echo").unwrap()],
        capacity: 1,
    };
    worker_frames(h, worker, &protocol::encode_version(&ready, version))
}

/// The version of each action sent to `worker`, with the command's name.
fn versions_to(actions: &[Action], worker: &str) -> Vec<(&'static str, Version)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendToWorker {
                worker: w,
                command,
                version,
            } if w == worker.as_bytes() => Some((command.name(), *version)),
            _ => None,
        })
        .collect()
}

fn submit_frames(h: &mut Harness, id: u64, version: Version) -> Vec<Action> {
    let submit = gateway::Command::Submit {
        request: id,
        service: ServiceName::new(b"echo").unwrap(),
        deadline: Some(Duration::from_secs(30)),
        idempotent: true,
        payload: json_payload(u32::try_from(id).unwrap()),
    };
    let mut out = Vec::new();
    let frames = gateway::encode_version(&submit, version);
    h.engine.handle_gateway_frames(GW, &frames, h.now, &mut out);
    out
}

#[test]
fn each_worker_gets_heartbeat_and_requests_in_the_version_of_its_ready() {
    let mut h = Harness::new();
    let out = ready(&mut h, "new", Version::V2);
    assert_eq!(versions_to(&out, "new"), [("HEARTBEAT", Version::V2)]);
    let out = ready(&mut h, "old", Version::V1);
    assert_eq!(versions_to(&out, "old"), [("HEARTBEAT", Version::V1)]);
    let first = submit_frames(&mut h, 1, Version::V2);
    let second = submit_frames(&mut h, 2, Version::V1);
    let mut sent = versions_to(&first, "new");
    sent.extend(versions_to(&first, "old"));
    sent.extend(versions_to(&second, "new"));
    sent.extend(versions_to(&second, "old"));
    sent.sort_by_key(|(_, v)| *v == Version::V2);
    assert_eq!(
        sent,
        [("REQUEST", Version::V1), ("REQUEST", Version::V2)],
        "one request each, whatever the gateway spoke"
    );
    let round = h.at(1500);
    assert_eq!(versions_to(&round, "new"), [("HEARTBEAT", Version::V2)]);
    assert_eq!(versions_to(&round, "old"), [("HEARTBEAT", Version::V1)]);
}

#[test]
fn a_packed_reply_done_routes_the_reply_and_frees_the_slot() {
    let mut h = Harness::new();
    ready(&mut h, "w", Version::V2);
    let request = only_sent(&submit_frames(&mut h, 5, Version::V2));
    let reply = Bytes::from_static(b"gw-1 1:5, HTTP/1.1 204 No Content\r\n\r\n");
    let done = Command::ReplyDone {
        request: request.id,
        reply: reply.clone(),
    };
    let out = worker_frames(&mut h, "w", &protocol::encode_version(&done, Version::V2));
    assert_eq!(
        out,
        [Action::ReplyToGateway {
            gateway: Bytes::from_static(GW),
            reply
        }]
    );
    assert_eq!(h.status().counters.completed, 1);
}

#[test]
fn an_unregistered_peer_is_answered_in_the_version_it_sent() {
    let mut h = Harness::new();
    let heartbeat = Command::Heartbeat { timing: None };
    for version in [Version::V1, Version::V2] {
        let frames = protocol::encode_version(&heartbeat, version);
        let out = worker_frames(&mut h, "stranger", &frames);
        assert_eq!(versions_to(&out, "stranger"), [("DISCONNECT", version)]);
    }
}

#[test]
fn an_unknown_command_in_s0w2_is_refused_in_s0w2() {
    let mut h = Harness::new();
    ready(&mut h, "w", Version::V2);
    let frames = [Bytes::new(), Bytes::from_static(b"S0W2\x7f")];
    let out = worker_frames(&mut h, "w", &frames);
    assert_eq!(versions_to(&out, "w"), [("DISCONNECT", Version::V2)]);
}

#[test]
fn a_gateway_is_answered_in_the_version_of_its_latest_message() {
    let mut h = Harness::new();
    assert_eq!(h.engine.gateway_version(GW), Version::V1, "unknown gateway");
    submit_frames(&mut h, 1, Version::V2);
    assert_eq!(h.engine.gateway_version(GW), Version::V2);
    submit_frames(&mut h, 2, Version::V1);
    assert_eq!(h.engine.gateway_version(GW), Version::V1);
}
