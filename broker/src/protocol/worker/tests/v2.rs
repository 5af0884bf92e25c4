//! S0W/2 golden frames (written by hand, byte for byte) and its malformed heads.

use super::*;

use crate::protocol::golden::{frames, golden_v2};

/// encode_version(command, V2) == expected and decode_versioned(expected) == (V2, command).
fn golden(command: &Command, expected: &[&[u8]]) {
    golden_v2(command, expected, encode_version, |f| decode_versioned(f));
}

#[test]
fn golden_frames() {
    let id = RequestId(0x0000_0007_0000_0001);
    let ready = Command::Ready {
        services: vec![name("echo"), name("api.v2")],
        capacity: 4,
    };
    golden(&ready, &[b"", b"S0W2\x01", b"4", b"echo", b"api.v2"]);
    let payload: &[u8] = b"gw-1 12 /slow 2:{},0:,";
    let request = Command::Request {
        request: id,
        sender: Bytes::from_static(b"gw-1"),
        payload: Bytes::from_static(payload),
    };
    golden(&request, &[b"", b"S0W2\x02\0\0\0\x07\0\0\0\x01", payload]);
    let reply: &[u8] = b"gw-1 2:12, HTTP/1.1 204 No Content\r\n\r\n";
    let reply_cmd = Command::Reply {
        reply: Bytes::from_static(reply),
    };
    golden(&reply_cmd, &[b"", b"S0W2\x03", reply]);
    golden(
        &Command::Done { request: id },
        &[b"", b"S0W2\x04\0\0\0\x07\0\0\0\x01"],
    );
    let reply_done = Command::ReplyDone {
        request: id,
        reply: Bytes::from_static(reply),
    };
    golden(&reply_done, &[b"", b"S0W2\x0a\0\0\0\x07\0\0\0\x01", reply]);
    let cancel = Command::Cancel {
        request: id,
        notice: Bytes::from_static(b"gw-1 1:12, "),
    };
    golden(
        &cancel,
        &[b"", b"S0W2\x08\0\0\0\x07\0\0\0\x01", b"gw-1 1:12, "],
    );
    let heartbeat = Command::Heartbeat {
        timing: Some(HeartbeatTiming {
            interval_ms: 2500,
            liveness: 3,
        }),
    };
    golden(&heartbeat, &[b"", b"S0W2\x05", b"2500", b"3"]);
    let disconnect = Command::Disconnect {
        reason: Some("draining".into()),
    };
    golden(&disconnect, &[b"", b"S0W2\x06", b"draining"]);
    golden(&Command::Drain, &[b"", b"S0W2\x09"]);
}

#[test]
fn head_errors() {
    assert_eq!(
        err(&frames(&[b"", b"S0W2"])),
        Error::CommandLength { len: 0 }
    );
    // Each with otherwise valid fields, so only the stray head byte is wrong.
    let ready: &[&[u8]] = &[b"", b"S0W2\x01x", b"4", b"echo"];
    let reply: &[&[u8]] = &[b"", b"S0W2\x03x", b"r"];
    let heartbeat: &[&[u8]] = &[b"", b"S0W2\x05x"];
    for (message, command) in [(ready, "READY"), (reply, "REPLY"), (heartbeat, "HEARTBEAT")] {
        let got = err(&frames(message));
        assert!(
            matches!(got, Error::HeadLength { command: c, len: 1, expected: 0 } if c == command),
            "{command}: {got:?}"
        );
    }
    for (code, command) in [
        (0x02, "REQUEST"),
        (0x04, "DONE"),
        (0x08, "CANCEL"),
        (0x0a, "REPLY-DONE"),
    ] {
        for len in [7, 9] {
            let mut head = b"S0W2".to_vec();
            head.push(code);
            head.extend(std::iter::repeat_n(1, len));
            let got = err(&[Vec::new(), head, b"gw-1 1 / 2:{},0:,".to_vec()]);
            assert_eq!(
                got,
                Error::HeadLength {
                    command,
                    len,
                    expected: 8
                }
            );
        }
    }
}

#[test]
fn request_sender_is_the_payloads_first_word() {
    let head: &[u8] = b"S0W2\x02\0\0\0\x07\0\0\0\x01";
    assert!(matches!(
        err(&frames(&[b"", head, b"gw*1 12 / 2:{},0:,"])),
        Error::BadByte { byte: b'*', .. }
    ));
    assert!(matches!(
        err(&frames(&[b"", head, b" 12 / 2:{},0:,"])),
        Error::Empty { .. }
    ));
    assert!(matches!(
        err(&frames(&[b"", head])),
        Error::MissingField {
            command: "REQUEST",
            ..
        }
    ));
}
