//! Every way a field can be wrong, each with the typed error naming it.

use super::*;

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
        err(&msg(0x09, &[b"x"])),
        Error::TrailingFrames {
            command: "DRAIN",
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
