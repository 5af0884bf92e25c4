//! Round trip of every valid command, and no panic on hostile frames.

use proptest::prelude::*;

use super::*;
use crate::protocol::MAX_CAPACITY;

fn service_name() -> impl Strategy<Value = ServiceName> {
    "[A-Za-z0-9._:/-]{1,128}".prop_map(|s| ServiceName::new(s.as_bytes()).unwrap())
}

fn command() -> impl Strategy<Value = Command> {
    let bytes = || proptest::collection::vec(any::<u8>(), 1..64).prop_map(Bytes::from);
    let id = || any::<u64>().prop_map(RequestId);
    prop_oneof![
        (
            proptest::collection::btree_set(service_name(), 1..=32),
            1..=MAX_CAPACITY
        )
            .prop_map(|(s, capacity)| Command::Ready {
                services: s.into_iter().collect(),
                capacity
            }),
        // The payload starts with `sender + " "`, as S0W/2 reads the sender from it.
        (id(), "[A-Za-z0-9-]{1,128}", bytes()).prop_map(|(request, s, rest)| Command::Request {
            request,
            payload: Bytes::from([s.as_bytes(), b" ", &rest].concat()),
            sender: Bytes::from(s),
        }),
        bytes().prop_map(|reply| Command::Reply { reply }),
        id().prop_map(|request| Command::Done { request }),
        (id(), bytes()).prop_map(|(request, reply)| Command::ReplyDone { request, reply }),
        proptest::option::of((10u32..=600_000, 1u32..=100)).prop_map(|t| Command::Heartbeat {
            timing: t.map(|(interval_ms, liveness)| HeartbeatTiming {
                interval_ms,
                liveness
            })
        }),
        proptest::option::of("[ -~]{0,256}").prop_map(|reason| Command::Disconnect { reason }),
        "[a-z]{1,5}://[!-~]{1,200}".prop_map(|endpoint| Command::ReconnectTo { endpoint }),
        (id(), bytes()).prop_map(|(request, notice)| Command::Cancel { request, notice }),
        Just(Command::Drain),
    ]
}

proptest! {
    #[test]
    fn round_trip(command in command()) {
        prop_assert_eq!(decode(&encode(&command)).unwrap(), command.clone());
        for version in [Version::V1, Version::V2] {
            let frames = encode_version(&command, version);
            prop_assert_eq!(decode_versioned(&frames).unwrap(), (version, command.clone()));
        }
    }

    #[test]
    fn hostile_v2_frames_never_panic(head in proptest::collection::vec(any::<u8>(), 0..24), frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..6)) {
        let mut all = vec![Vec::new(), [&b"S0W2"[..], &head].concat()];
        all.extend(frames);
        let _ = decode_versioned(&all);
    }

    #[test]
    fn hostile_frames_never_panic(frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8)) {
        let _ = decode(&frames);
    }

    #[test]
    fn hostile_fields_never_panic(code in 0u8..10, fields in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..6)) {
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        let _ = decode(&msg(code, &refs));
    }
}
