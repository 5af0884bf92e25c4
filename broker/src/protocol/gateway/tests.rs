use proptest::prelude::*;

use super::*;

fn msg(command: u8, fields: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut frames = vec![Vec::new(), b"S0G1".to_vec(), vec![command]];
    frames.extend(fields.iter().map(|f| f.to_vec()));
    frames
}

fn err(frames: &[Vec<u8>]) -> Error {
    decode(frames).unwrap_err()
}

const ID: &[u8] = &[0, 0, 0, 0, 0, 0, 0, 42];

#[test]
fn submit_golden_frames() {
    let payload: &[u8] = b"gw-1 3 /hello 2:{},0:,";
    let frames = msg(0x01, &[ID, b"echo", b"2500", b"1", payload]);
    let submit = Command::Submit {
        request: 42,
        service: ServiceName::new(b"echo").unwrap(),
        deadline: Some(Duration::from_millis(2500)),
        idempotent: true,
        payload: Bytes::from_static(payload),
    };
    assert_eq!(decode(&frames).unwrap(), submit);
    assert_eq!(encode(&submit), frames);
}

#[test]
fn fail_golden_frames() {
    let frames = msg(0x04, &[ID, b"503", b"1000", b"queue-full"]);
    let fail = Command::Fail {
        request: 42,
        status: FailStatus::ServiceUnavailable,
        retry_after: Some(Duration::from_secs(1)),
        reason: FailReason::QueueFull,
    };
    assert_eq!(decode(&frames).unwrap(), fail);
    assert_eq!(encode(&fail), frames);
}

#[test]
fn zero_means_absent() {
    let frames = msg(0x01, &[ID, b"echo", b"0", b"0", b"p"]);
    assert!(matches!(
        decode(&frames).unwrap(),
        Command::Submit {
            deadline: None,
            idempotent: false,
            ..
        }
    ));
    let frames = msg(0x04, &[ID, b"502", b"0", b"worker-lost"]);
    assert!(matches!(
        decode(&frames).unwrap(),
        Command::Fail {
            retry_after: None,
            ..
        }
    ));
}

#[test]
fn submit_errors() {
    assert_eq!(
        err(&msg(0x01, &[ID, b"echo", b"10", b"1"])),
        Error::MissingField {
            command: "SUBMIT",
            field: "payload"
        }
    );
    assert_eq!(
        err(&msg(0x01, &[ID, b"e o", b"10", b"1", b"p"])),
        Error::BadByte {
            field: "service name",
            byte: b' ',
            at: 1
        }
    );
    let range = Error::OutOfRange {
        field: "deadline",
        min: 0,
        max: MAX_DURATION_MS,
    };
    assert_eq!(
        err(&msg(0x01, &[ID, b"echo", b"3600001", b"1", b"p"])),
        range
    );
    assert!(matches!(
        err(&msg(0x01, &[ID, b"echo", b"10", b"yes", b"p"])),
        Error::UnknownValue {
            field: "idempotent",
            ..
        }
    ));
    assert_eq!(
        err(&msg(0x01, &[ID, b"echo", b"10", b"1", b""])),
        Error::Empty { field: "payload" }
    );
    assert_eq!(
        err(&msg(0x01, &[b"short"])),
        Error::WrongLength {
            field: "request id",
            len: 5,
            expected: 8
        }
    );
}

#[test]
fn fail_and_other_errors() {
    assert!(matches!(
        err(&msg(0x04, &[ID, b"500", b"0", b"worker-lost"])),
        Error::UnknownValue {
            field: "status",
            ..
        }
    ));
    assert!(matches!(
        err(&msg(0x04, &[ID, b"502", b"0", b"oops"])),
        Error::UnknownValue {
            field: "reason",
            ..
        }
    ));
    assert_eq!(
        err(&msg(0x05, &[b"x"])),
        Error::TrailingFrames {
            command: "HEARTBEAT",
            extra: 1
        }
    );
    assert_eq!(
        err(&msg(0x06, &[b"x"])),
        Error::TrailingFrames {
            command: "DISCONNECT",
            extra: 1
        }
    );
    assert_eq!(
        err(&msg(0x02, &[])),
        Error::MissingField {
            command: "CANCEL",
            field: "request id"
        }
    );
    assert_eq!(err(&msg(0x03, &[b""])), Error::Empty { field: "reply" });
    assert_eq!(err(&msg(0x07, &[])), Error::UnknownCommand(0x07));
    let worker_protocol = vec![Vec::new(), b"S0W1".to_vec(), vec![5]];
    assert!(matches!(
        err(&worker_protocol),
        Error::Protocol {
            expected: "S0G1 or S0G2",
            ..
        }
    ));
    let unknown = vec![Vec::new(), b"S0G3".to_vec(), vec![5]];
    assert!(matches!(err(&unknown), Error::Protocol { found, .. } if found == "S0G3"));
}

#[test]
fn every_reason_has_one_status_and_token() {
    for (reason, token) in REASONS {
        assert_eq!(reason.as_str(), token);
        assert_eq!(FailReason::from_token(token.as_bytes()), Ok(reason));
    }
    assert_eq!(FailReason::ReplyTimeout.status().code(), 504);
    assert_eq!(FailReason::WorkerLost.status().code(), 502);
    assert_eq!(FailReason::NoWorker.status().code(), 503);
}

fn command() -> impl Strategy<Value = Command> {
    let bytes = || proptest::collection::vec(any::<u8>(), 1..64).prop_map(Bytes::from);
    let ms = || proptest::option::of((1..=MAX_DURATION_MS).prop_map(Duration::from_millis));
    let reason = proptest::sample::select(REASONS.map(|(r, _)| r).to_vec());
    prop_oneof![
        (
            any::<u64>(),
            "[a-z0-9._:/-]{1,128}",
            ms(),
            any::<bool>(),
            bytes()
        )
            .prop_map(|(request, service, deadline, idempotent, payload)| {
                Command::Submit {
                    request,
                    service: ServiceName::new(service.as_bytes()).unwrap(),
                    deadline,
                    idempotent,
                    payload,
                }
            }),
        any::<u64>().prop_map(|request| Command::Cancel { request }),
        bytes().prop_map(|reply| Command::Reply { reply }),
        (any::<u64>(), ms(), reason).prop_map(|(request, retry_after, reason)| Command::Fail {
            request,
            status: reason.status(),
            retry_after,
            reason,
        }),
        Just(Command::Heartbeat),
        Just(Command::Disconnect),
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
    fn hostile_v2_frames_never_panic(head in proptest::collection::vec(any::<u8>(), 0..40), frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..24), 0..6)) {
        let mut all = vec![Vec::new(), [&b"S0G2"[..], &head].concat()];
        all.extend(frames);
        let _ = decode_versioned(&all);
    }

    #[test]
    fn hostile_fields_never_panic(code in 0u8..8, fields in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..24), 0..7)) {
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        let _ = decode(&msg(code, &refs));
    }
}

mod v2;
