//! Protocol versions: the library speaks S0W/2, understands a broker's S0W/2 REQUEST (no sender frame), and
//! falls back to S0W/1 when a broker from before S0W/2 refuses its READY.

use super::{broker, fast, head, heartbeat, request, Broker, GW, PATIENCE};
use crate::protocol::{decode_versioned, encode_version, Command, RequestId, Version};
use crate::worker::Worker;

fn connect(broker: &Broker) -> Worker {
    Worker::connect(&broker.endpoint, &["hello"], 1, fast()).unwrap()
}

/// Sends `command` framed in `version`.
fn send(broker: &Broker, identity: &[u8], command: &Command, version: Version) {
    let mut frames = vec![identity.to_vec()];
    frames.extend(encode_version(command, version).iter().map(|f| f.to_vec()));
    broker.router.send_multipart(frames, 0).unwrap();
}

/// The next message that is not a worker HEARTBEAT, with the version it was framed in.
fn next(broker: &Broker) -> (Vec<u8>, Version, Command) {
    let (identity, frames) = broker.expect_raw();
    let (version, command) = decode_versioned(&frames).unwrap();
    (identity, version, command)
}

#[test]
fn a_packed_request_without_sender_frame_is_served_and_answered_packed() {
    let (_dir, broker) = broker();
    let worker = connect(&broker);
    let (identity, version, ready) = next(&broker);
    assert_eq!(version, Version::V2);
    assert!(matches!(ready, Command::Ready { capacity: 1, .. }));
    send(&broker, &identity, &heartbeat(1000, 3), Version::V2);
    send(&broker, &identity, &request(9), Version::V2);
    let job = worker.recv_timeout(PATIENCE).expect("no job");
    assert_eq!((job.sender(), job.conn_id()), (GW, 1));
    job.reply_and_done(b"ok").unwrap();
    let (_, frames) = broker.expect_raw();
    let mut reply = GW.to_vec();
    reply.extend_from_slice(b" 1:1, ok");
    assert_eq!(frames, [Vec::new(), head(0x0a, 9), reply]);
}

#[test]
fn a_broker_refusing_s0w2_gets_ready_again_in_s0w1_and_s0w1_replies() {
    let (_dir, broker) = broker();
    let worker = connect(&broker);
    let (identity, version, _) = next(&broker);
    assert_eq!(version, Version::V2);
    let refusal = Command::Disconnect {
        reason: Some("unsupported protocol; this broker speaks S0W1".to_owned()),
    };
    send(&broker, &identity, &refusal, Version::V1);
    let (identity, version, ready) = next(&broker);
    assert_eq!(version, Version::V1, "READY after the refusal");
    assert!(matches!(ready, Command::Ready { .. }));
    send(&broker, &identity, &heartbeat(1000, 3), Version::V1);
    send(&broker, &identity, &request(4), Version::V1);
    let job = worker.recv_timeout(PATIENCE).expect("no job");
    job.reply_and_done(b"ok").unwrap();
    let (_, version, done) = next(&broker);
    assert_eq!(version, Version::V1);
    assert!(matches!(
        done,
        Command::ReplyDone {
            request: RequestId(4),
            ..
        }
    ));
}

#[test]
fn another_s0w1_disconnect_does_not_change_the_version() {
    let (_dir, broker) = broker();
    let _worker = connect(&broker);
    let (identity, _, _) = next(&broker);
    let other = Command::Disconnect {
        reason: Some("not registered; send READY".to_owned()),
    };
    send(&broker, &identity, &other, Version::V1);
    let (_, version, ready) = next(&broker);
    assert!(matches!(ready, Command::Ready { .. }));
    assert_eq!(version, Version::V2);
}
