use proptest::prelude::*;

use super::*;

fn msg(command: u8, fields: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut frames = vec![Vec::new(), b"S0W1".to_vec(), vec![command]];
    frames.extend(fields.iter().map(|f| f.to_vec()));
    frames
}

fn err(frames: &[Vec<u8>]) -> Error {
    decode(frames).unwrap_err()
}

fn name(s: &str) -> ServiceName {
    ServiceName::new(s.as_bytes()).unwrap()
}

const ID: &[u8] = &[0, 0, 0, 7, 0, 0, 0, 1];

#[test]
fn ready_golden_frames() {
    let ready = Command::Ready {
        services: vec![name("echo"), name("api.v2")],
        capacity: 4,
    };
    let frames = encode(&ready);
    let expected: Vec<&[u8]> = vec![b"", b"S0W1", b"\x01", b"4", b"echo", b"api.v2"];
    assert_eq!(
        frames.iter().map(|f| f.as_ref()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(decode(&frames).unwrap(), ready);
}

#[test]
fn request_golden_frames() {
    let payload = b"gw-1 12 /slow 2:{},0:,";
    let frames = msg(0x02, &[ID, b"gw-1", payload]);
    let decoded = decode(&frames).unwrap();
    assert_eq!(
        decoded,
        Command::Request {
            request: RequestId(0x0000_0007_0000_0001),
            sender: Bytes::from_static(b"gw-1"),
            payload: Bytes::from_static(payload),
        }
    );
    assert_eq!(encode(&decoded), frames);
}

#[test]
fn envelope_errors() {
    assert_eq!(decode::<&[u8]>(&[]).unwrap_err(), Error::NoFrames);
    assert_eq!(err(&[b"x".to_vec()]), Error::MissingDelimiter { len: 1 });
    let wrong = vec![Vec::new(), b"S0W2".to_vec(), vec![1]];
    assert!(matches!(err(&wrong), Error::Protocol { found, .. } if found == "S0W2"));
    assert!(matches!(err(&[Vec::new()]), Error::Protocol { found, .. } if found.is_empty()));
    assert_eq!(
        err(&[Vec::new(), b"S0W1".to_vec()]),
        Error::CommandLength { len: 0 }
    );
    assert_eq!(
        err(&[Vec::new(), b"S0W1".to_vec(), b"RE".to_vec()]),
        Error::CommandLength { len: 2 }
    );
    assert_eq!(err(&msg(0x09, &[])), Error::UnknownCommand(0x09));
    assert!(err(&msg(0x09, &[])).is_fatal());
    assert!(err(&wrong).is_fatal());
    assert!(!err(&msg(0x04, &[])).is_fatal());
}

#[test]
fn ready_errors() {
    assert_eq!(
        err(&msg(0x01, &[])),
        Error::MissingField {
            command: "READY",
            field: "capacity"
        }
    );
    assert_eq!(
        err(&msg(0x01, &[b"2"])),
        Error::MissingField {
            command: "READY",
            field: "service"
        }
    );
    let range = Error::OutOfRange {
        field: "capacity",
        min: 1,
        max: 1024,
    };
    assert_eq!(err(&msg(0x01, &[b"0", b"a"])), range);
    assert_eq!(err(&msg(0x01, &[b"1025", b"a"])), range);
    assert_eq!(
        err(&msg(0x01, &[b"99999999999999999999", b"a"])),
        Error::TooLong {
            field: "capacity",
            len: 20,
            max: 19
        }
    );
    assert_eq!(err(&msg(0x01, &[b"9999999999999999999", b"a"])), range);
    assert_eq!(
        err(&msg(0x01, &[b"-1", b"a"])),
        Error::BadByte {
            field: "capacity",
            byte: b'-',
            at: 0
        }
    );
    assert_eq!(
        err(&msg(0x01, &[b"", b"a"])),
        Error::Empty { field: "capacity" }
    );
    let many: Vec<Vec<u8>> = (0..33).map(|i| format!("s{i}").into_bytes()).collect();
    let mut fields: Vec<&[u8]> = vec![b"1"];
    fields.extend(many.iter().map(Vec::as_slice));
    assert_eq!(
        err(&msg(0x01, &fields)),
        Error::TooManyServices { count: 33, max: 32 }
    );
    assert_eq!(
        err(&msg(0x01, &[b"1", b"a", b"a"])),
        Error::DuplicateService { name: "a".into() }
    );
    assert_eq!(
        err(&msg(0x01, &[b"1", b""])),
        Error::Empty {
            field: "service name"
        }
    );
    let long = vec![b'a'; 129];
    assert_eq!(
        err(&msg(0x01, &[b"1", &long])),
        Error::TooLong {
            field: "service name",
            len: 129,
            max: 128
        }
    );
    assert_eq!(
        err(&msg(0x01, &[b"1", b"a b"])),
        Error::BadByte {
            field: "service name",
            byte: b' ',
            at: 1
        }
    );
    assert_eq!(
        err(&msg(0x01, &[b"1", b"\xff"])),
        Error::BadByte {
            field: "service name",
            byte: 0xff,
            at: 0
        }
    );
}

#[test]
fn request_errors() {
    let wrong_id = Error::WrongLength {
        field: "request id",
        len: 3,
        expected: 8,
    };
    assert_eq!(err(&msg(0x02, &[b"abc", b"gw", b"p"])), wrong_id);
    assert_eq!(
        err(&msg(0x02, &[ID])),
        Error::MissingField {
            command: "REQUEST",
            field: "sender id"
        }
    );
    assert_eq!(
        err(&msg(0x02, &[ID, b"g w", b"p"])),
        Error::BadByte {
            field: "sender id",
            byte: b' ',
            at: 1
        }
    );
    let long = vec![b'a'; 129];
    assert_eq!(
        err(&msg(0x02, &[ID, &long, b"p"])),
        Error::TooLong {
            field: "sender id",
            len: 129,
            max: 128
        }
    );
    assert_eq!(
        err(&msg(0x02, &[ID, b"gw", b""])),
        Error::Empty { field: "payload" }
    );
    assert_eq!(
        err(&msg(0x02, &[ID, b"gw", b"p", b"x"])),
        Error::TrailingFrames {
            command: "REQUEST",
            extra: 1
        }
    );
}

#[test]
fn reply_done_cancel_errors() {
    assert_eq!(
        err(&msg(0x03, &[])),
        Error::MissingField {
            command: "REPLY",
            field: "reply"
        }
    );
    assert_eq!(err(&msg(0x03, &[b""])), Error::Empty { field: "reply" });
    assert_eq!(
        err(&msg(0x03, &[b"r", b"r"])),
        Error::TrailingFrames {
            command: "REPLY",
            extra: 1
        }
    );
    assert_eq!(
        err(&msg(0x04, &[])),
        Error::MissingField {
            command: "DONE",
            field: "request id"
        }
    );
    let nine = [0u8; 9];
    assert_eq!(
        err(&msg(0x04, &[&nine])),
        Error::WrongLength {
            field: "request id",
            len: 9,
            expected: 8
        }
    );
    assert_eq!(
        err(&msg(0x04, &[ID, ID])),
        Error::TrailingFrames {
            command: "DONE",
            extra: 1
        }
    );
    assert_eq!(
        err(&msg(0x08, &[ID])),
        Error::MissingField {
            command: "CANCEL",
            field: "notice"
        }
    );
    assert_eq!(
        err(&msg(0x08, &[ID, b""])),
        Error::Empty { field: "notice" }
    );
}

#[test]
fn heartbeat_forms_and_errors() {
    assert_eq!(
        decode(&msg(0x05, &[])).unwrap(),
        Command::Heartbeat { timing: None }
    );
    let timing = HeartbeatTiming {
        interval_ms: 1000,
        liveness: 3,
    };
    assert_eq!(
        decode(&msg(0x05, &[b"1000", b"3"])).unwrap(),
        Command::Heartbeat {
            timing: Some(timing)
        }
    );
    assert_eq!(
        err(&msg(0x05, &[b"1000"])),
        Error::MissingField {
            command: "HEARTBEAT",
            field: "liveness"
        }
    );
    let range = Error::OutOfRange {
        field: "heartbeat interval",
        min: 10,
        max: 600_000,
    };
    assert_eq!(err(&msg(0x05, &[b"9", b"3"])), range);
    assert_eq!(
        err(&msg(0x05, &[b"1000", b"0"])),
        Error::OutOfRange {
            field: "liveness",
            min: 1,
            max: 100
        }
    );
    let trailing = Error::TrailingFrames {
        command: "HEARTBEAT",
        extra: 1,
    };
    assert_eq!(err(&msg(0x05, &[b"1000", b"3", b"x"])), trailing);
}

#[test]
fn disconnect_and_reconnect_errors() {
    assert_eq!(
        decode(&msg(0x06, &[])).unwrap(),
        Command::Disconnect { reason: None }
    );
    let long = vec![b'a'; 257];
    assert_eq!(
        err(&msg(0x06, &[&long])),
        Error::TooLong {
            field: "reason",
            len: 257,
            max: 256
        }
    );
    assert_eq!(
        err(&msg(0x06, &[b"a\nb"])),
        Error::BadByte {
            field: "reason",
            byte: b'\n',
            at: 1
        }
    );
    assert_eq!(
        err(&msg(0x06, &[b"\xc3"])),
        Error::BadByte {
            field: "reason",
            byte: 0xc3,
            at: 0
        }
    );
    assert_eq!(
        err(&msg(0x06, &[b"a", b"b"])),
        Error::TrailingFrames {
            command: "DISCONNECT",
            extra: 1
        }
    );
    let ok = decode(&msg(0x07, &[b"tcp://10.0.0.2:5555"])).unwrap();
    assert_eq!(
        ok,
        Command::ReconnectTo {
            endpoint: "tcp://10.0.0.2:5555".into()
        }
    );
    assert!(matches!(
        err(&msg(0x07, &[b"10.0.0.2:5555"])),
        Error::UnknownValue {
            field: "endpoint",
            ..
        }
    ));
    assert!(matches!(
        err(&msg(0x07, &[b"://x"])),
        Error::UnknownValue {
            field: "endpoint",
            ..
        }
    ));
    assert_eq!(
        err(&msg(0x07, &[b"tcp://a b"])),
        Error::BadByte {
            field: "endpoint",
            byte: b' ',
            at: 7
        }
    );
    assert_eq!(
        err(&msg(0x07, &[])),
        Error::MissingField {
            command: "RECONNECT-TO",
            field: "endpoint"
        }
    );
}

#[test]
fn directions() {
    assert_eq!(
        Command::Done {
            request: RequestId(1)
        }
        .direction(),
        Direction::ToBroker
    );
    assert_eq!(
        Command::ReconnectTo {
            endpoint: "tcp://x:1".into()
        }
        .direction(),
        Direction::ToWorker
    );
    assert_eq!(
        Command::Heartbeat { timing: None }.direction(),
        Direction::Both
    );
}

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
        (id(), "[A-Za-z0-9-]{1,128}", bytes()).prop_map(|(request, s, payload)| Command::Request {
            request,
            sender: Bytes::from(s),
            payload
        }),
        bytes().prop_map(|reply| Command::Reply { reply }),
        id().prop_map(|request| Command::Done { request }),
        proptest::option::of((10u32..=600_000, 1u32..=100)).prop_map(|t| Command::Heartbeat {
            timing: t.map(|(interval_ms, liveness)| HeartbeatTiming {
                interval_ms,
                liveness
            })
        }),
        proptest::option::of("[ -~]{0,256}").prop_map(|reason| Command::Disconnect { reason }),
        "[a-z]{1,5}://[!-~]{1,200}".prop_map(|endpoint| Command::ReconnectTo { endpoint }),
        (id(), bytes()).prop_map(|(request, notice)| Command::Cancel { request, notice }),
    ]
}

proptest! {
    #[test]
    fn round_trip(command in command()) {
        prop_assert_eq!(decode(&encode(&command)).unwrap(), command);
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
