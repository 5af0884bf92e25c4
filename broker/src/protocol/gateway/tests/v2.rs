//! S0G/2 golden frames (written by hand, byte for byte) and its malformed SUBMIT heads.

use super::*;

use crate::protocol::golden::{frames, golden_v2};

/// encode_version(command, V2) == expected and decode_versioned(expected) == (V2, command).
fn golden(command: &Command, expected: &[&[u8]]) {
    golden_v2(command, expected, encode_version, |f| decode_versioned(f));
}

fn submit(deadline: Option<Duration>) -> Command {
    Command::Submit {
        request: 42,
        service: ServiceName::new(b"echo").unwrap(),
        deadline,
        idempotent: true,
        payload: Bytes::from_static(b"gw-1 3 /hello 2:{},0:,"),
    }
}

/// An S0G/2 SUBMIT head: id 42, the given deadline, idempotent and service bytes.
fn submit_head(deadline: u32, idempotent: u8, service: &[u8]) -> Vec<u8> {
    let mut head = b"S0G2\x01".to_vec();
    head.extend_from_slice(&42u64.to_be_bytes());
    head.extend_from_slice(&deadline.to_be_bytes());
    head.push(idempotent);
    head.extend_from_slice(service);
    head
}

#[test]
fn golden_frames() {
    let payload: &[u8] = b"gw-1 3 /hello 2:{},0:,";
    golden(
        &submit(Some(Duration::from_millis(1500))),
        &[
            b"",
            b"S0G2\x01\0\0\0\0\0\0\0\x2a\0\0\x05\xdc\x01echo",
            payload,
        ],
    );
    golden(
        &submit(None),
        &[b"", b"S0G2\x01\0\0\0\0\0\0\0\x2a\0\0\0\0\x01echo", payload],
    );
    golden(
        &Command::Cancel { request: 42 },
        &[b"", b"S0G2\x02\0\0\0\0\0\0\0\x2a"],
    );
    let reply: &[u8] = b"gw-1 1:3, HTTP/1.1 200 OK\r\n\r\n";
    golden(
        &Command::Reply {
            reply: Bytes::from_static(reply),
        },
        &[b"", b"S0G2\x03", reply],
    );
    let fail = Command::Fail {
        request: 42,
        status: FailStatus::ServiceUnavailable,
        retry_after: Some(Duration::from_secs(1)),
        reason: FailReason::QueueFull,
    };
    golden(
        &fail,
        &[
            b"",
            b"S0G2\x04\0\0\0\0\0\0\0\x2a",
            b"503",
            b"1000",
            b"queue-full",
        ],
    );
    golden(&Command::Heartbeat, &[b"", b"S0G2\x05"]);
}

#[test]
fn submit_head_errors() {
    let payload: &[u8] = b"p";
    let short = submit_head(10, 1, b"");
    for len in 0..short.len() {
        let got = err(&frames(&[b"", &short[..len], payload]));
        assert!(
            matches!(
                got,
                Error::HeadLength { .. } | Error::CommandLength { .. } | Error::Protocol { .. }
            ),
            "{len}: {got:?}"
        );
    }
    assert_eq!(
        err(&frames(&[b"", &short, payload])),
        Error::HeadLength {
            command: "SUBMIT",
            len: 13,
            expected: 14
        }
    );
    assert!(matches!(
        err(&frames(&[b"", &submit_head(10, 2, b"echo"), payload])),
        Error::UnknownValue {
            field: "idempotent",
            ..
        }
    ));
    assert_eq!(
        err(&frames(&[
            b"",
            &submit_head(3_600_001, 1, b"echo"),
            payload
        ])),
        Error::OutOfRange {
            field: "deadline",
            min: 0,
            max: 3_600_000
        }
    );
    assert!(matches!(
        err(&frames(&[b"", &submit_head(10, 1, b"e o"), payload])),
        Error::BadByte { byte: b' ', .. }
    ));
    assert!(matches!(
        err(&frames(&[b"", &submit_head(10, 1, b"echo")])),
        Error::MissingField {
            command: "SUBMIT",
            field: "payload"
        }
    ));
    assert_eq!(
        err(&frames(&[b"", &submit_head(10, 1, b"echo"), payload, b"x"])),
        Error::TrailingFrames {
            command: "SUBMIT",
            extra: 1
        }
    );
}
