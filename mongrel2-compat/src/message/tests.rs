use super::*;
use crate::request::{encode_credits, encode_disconnect, encode_upload_piece, Protocol};

/// A JSON-protocol frame from sender `u`, conn id 7.
fn frame(path: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("u 7 {path} {}:{headers},{}:", headers.len(), body.len()).into_bytes();
    out.extend_from_slice(body);
    out.push(b',');
    out
}

#[test]
fn notices_in_both_protocols() {
    for protocol in [Protocol::Json, Protocol::Tnetstring] {
        let mut out = Vec::new();
        encode_disconnect(b"u", 12, protocol, &mut out);
        assert_eq!(
            Message::decode(&out),
            Ok(Message::Disconnect {
                sender: b"u",
                conn_id: 12
            })
        );
        out.clear();
        encode_credits(b"u", 3, protocol, 39, &mut out);
        let credits = Message::Credits {
            sender: b"u",
            conn_id: 3,
            credits: 39,
        };
        assert_eq!(Message::decode(&out), Ok(credits));
    }
}

#[test]
fn odd_notices_are_named() {
    let unknown = frame("@*", r#"{"METHOD":"JSON"}"#, br#"{"type":"other"}"#);
    let body = r#"{"type":"other"}"#.to_string();
    assert_eq!(
        Message::decode(&unknown),
        Err(Error::UnknownNotice { body })
    );
    let no_count = frame("@*", r#"{"METHOD":"JSON"}"#, br#"{"type":"credits"}"#);
    let missing = Error::MissingKey {
        kind: "credits",
        key: "DOWNLOAD_CREDITS",
    };
    assert_eq!(Message::decode(&no_count), Err(missing));
    let negative = frame(
        "@*",
        r#"{"DOWNLOAD_CREDITS":"-1"}"#,
        br#"{"type":"credits"}"#,
    );
    let not_a_number = Error::NotANumber {
        key: "DOWNLOAD_CREDITS",
        value: "-1".into(),
    };
    assert_eq!(Message::decode(&negative), Err(not_a_number));
}

#[test]
fn upload_stream_pieces() {
    let mut out = Vec::new();
    encode_upload_piece(
        b"u",
        2,
        Protocol::Json,
        b"/up",
        1724,
        true,
        b"tail",
        &mut out,
    );
    let message = Message::decode(&out).unwrap();
    assert!(matches!(
        message,
        Message::UploadStream {
            offset: 1724,
            done: true,
            data: b"tail",
            ..
        }
    ));
    assert_eq!((message.sender(), message.conn_id()), (&b"u"[..], 2));
    let bad = frame("/up", r#"{"UPLOAD_STREAM":"12a"}"#, b"x");
    let not_a_number = Error::NotANumber {
        key: "UPLOAD_STREAM",
        value: "12a".into(),
    };
    assert_eq!(Message::decode(&bad), Err(not_a_number));
    let huge = frame("/up", r#"{"UPLOAD_STREAM":"18446744073709551616"}"#, b"x");
    assert!(matches!(
        Message::decode(&huge),
        Err(Error::NotANumber { .. })
    ));
}

#[test]
fn upload_done_wins_over_start() {
    let both =
        r#"{"x-mongrel2-upload-start":"/tmp/a","x-mongrel2-upload-done":"/tmp/a","METHOD":"POST"}"#;
    let bytes = frame("/up", both, b"");
    let message = Message::decode(&bytes).unwrap();
    assert!(
        matches!(&message, Message::UploadDone { temp_path, .. } if temp_path.as_ref() == b"/tmp/a")
    );
    let start = r#"{"x-mongrel2-upload-start":"/tmp/\"q","METHOD":"POST"}"#;
    let bytes = frame("/up", start, b"");
    let message = Message::decode(&bytes).unwrap();
    assert!(
        matches!(&message, Message::UploadStart { temp_path, .. } if temp_path.as_ref() == b"/tmp/\"q")
    );
}

#[test]
fn websocket_kinds() {
    let handshake = frame(
        "/ws",
        r#"{"METHOD":"WEBSOCKET_HANDSHAKE"}"#,
        b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    );
    let message = Message::decode(&handshake).unwrap();
    assert!(matches!(
        message,
        Message::WebSocketHandshake {
            accept: b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            ..
        }
    ));
    let pong = frame("/ws", r#"{"FLAGS":"0x8A","METHOD":"WEBSOCKET"}"#, b"p");
    let message = Message::decode(&pong).unwrap();
    assert!(matches!(
        message,
        Message::WebSocket {
            flags: 0x8A,
            opcode: Opcode::Pong,
            data: b"p",
            ..
        }
    ));
    let deflated = frame("/ws", r#"{"FLAGS":"0xC1","METHOD":"WEBSOCKET"}"#, b"");
    assert!(matches!(
        Message::decode(&deflated),
        Ok(Message::WebSocket {
            flags: 0xC1,
            opcode: Opcode::Text,
            ..
        })
    ));
    let reserved = frame("/ws", r#"{"FLAGS":"0x83","METHOD":"WEBSOCKET"}"#, b"");
    let error = Error::Flags {
        value: "0x83".into(),
        source: websocket::Error::ReservedOpcode(3),
    };
    assert_eq!(Message::decode(&reserved), Err(error));
    let no_flags = frame("/ws", r#"{"METHOD":"WEBSOCKET"}"#, b"");
    assert_eq!(
        Message::decode(&no_flags),
        Err(Error::MissingKey {
            kind: "WEBSOCKET",
            key: "FLAGS"
        })
    );
}

#[test]
fn sockets_http_and_failures() {
    let json = frame(
        "@chat",
        r#"{"PATH":"@chat","METHOD":"JSON"}"#,
        br#"{"type":"join"}"#,
    );
    assert!(matches!(
        Message::decode(&json),
        Ok(Message::JsonSocket {
            body: br#"{"type":"join"}"#,
            ..
        })
    ));
    let xml = frame("<msg", r#"{"PATH":"<msg","METHOD":"XML"}"#, b"<msg/>");
    assert!(matches!(
        Message::decode(&xml),
        Ok(Message::XmlSocket {
            body: b"<msg/>",
            ..
        })
    ));
    let get = frame("/", r#"{"METHOD":"GET"}"#, b"");
    let message = Message::decode(&get).unwrap();
    assert!(matches!(&message, Message::Http(request) if request.path == b"/"));
    assert_eq!(message.request().map(|r| r.conn_id), Some(7));
    assert_eq!(
        Message::decode(&frame("/", r#"{"host":"x"}"#, b"")),
        Err(Error::NoMethod)
    );
    assert!(matches!(
        Message::decode(b"garbage"),
        Err(Error::Request(_))
    ));
}
