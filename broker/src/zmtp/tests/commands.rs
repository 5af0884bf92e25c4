//! The sans-IO codec's commands: READY and its properties, ERROR, PING/PONG, and which socket types
//! may talk.

use bytes::BufMut;

use super::*;
use wire::{PeerMetadata, WireError};

/// A command frame's body (what `decode_frame` hands over) as `put_command` encodes it.
fn command_body(name: &str, data: &[u8]) -> Bytes {
    let mut out = BytesMut::new();
    wire::put_command(&mut out, name, data);
    let frame = wire::decode_frame(&mut out, usize::MAX).unwrap().unwrap();
    assert!(frame.command && out.is_empty());
    frame.body
}

#[test]
fn ready_gives_socket_type_and_identity() {
    let mut buf = BytesMut::new();
    wire::put_ready(&mut buf, "DEALER", Some(b"worker-1"));
    let frame = wire::decode_frame(&mut buf, 1024).unwrap().unwrap();
    let expected = PeerMetadata {
        socket_type: "DEALER".into(),
        identity: Bytes::from_static(b"worker-1"),
    };
    assert_eq!(wire::parse_ready(&frame.body), Ok(expected));
    let mut buf = BytesMut::new();
    wire::put_ready(&mut buf, "ROUTER", None);
    let frame = wire::decode_frame(&mut buf, 1024).unwrap().unwrap();
    let metadata = wire::parse_ready(&frame.body).unwrap();
    assert_eq!(
        (&metadata.socket_type[..], &metadata.identity[..]),
        ("ROUTER", &b""[..])
    );
}

#[test]
fn error_gives_its_reason_and_other_commands_are_no_ready() {
    let body = command_body("ERROR", b"\x09no access");
    assert_eq!(
        wire::parse_ready(&body),
        Err(WireError::Handshake("no access".into()))
    );
    let ping = command_body("PING", &[0, 0]);
    assert!(matches!(
        wire::parse_ready(&ping),
        Err(WireError::Handshake(_))
    ));
}

#[test]
fn truncated_ready_is_malformed() {
    let mut buf = BytesMut::new();
    wire::put_ready(&mut buf, "DEALER", Some(b"worker-1"));
    let body = wire::decode_frame(&mut buf, 1024).unwrap().unwrap().body;
    for cut in [body.len() - 1, body.len() - 9, 7] {
        assert_eq!(
            wire::parse_ready(&body.slice(..cut)),
            Err(WireError::Command("READY")),
            "READY cut to {cut} bytes"
        );
    }
    assert_eq!(
        wire::parse_ready(&Bytes::new()),
        Err(WireError::Command("empty"))
    );
}

#[test]
fn unknown_properties_are_ignored_and_names_are_case_insensitive() {
    let mut properties = BytesMut::new();
    for (name, value) in [
        (&b"X-Colour"[..], &b"blue"[..]),
        (b"socket-type", b"DEALER"),
    ] {
        properties.put_u8(name.len() as u8);
        properties.put_slice(name);
        properties.put_u32(value.len() as u32);
        properties.put_slice(value);
    }
    let metadata = wire::parse_ready(&command_body("READY", &properties)).unwrap();
    assert_eq!(metadata.socket_type, "DEALER");
    assert!(metadata.identity.is_empty());
}

#[test]
fn pong_echoes_the_ping_context() {
    let mut out = BytesMut::new();
    wire::put_pong(&mut out, b"\x00\x0actx-42");
    let frame = wire::decode_frame(&mut out, 1024).unwrap().unwrap();
    let (name, context) = wire::split_command(&frame.body).unwrap();
    assert_eq!((name, &context[..]), (&b"PONG"[..], &b"ctx-42"[..]));
}

#[test]
fn routers_and_dealers_accept_only_their_peers() {
    for peer in ["DEALER", "REQ", "ROUTER"] {
        assert!(wire::compatible("ROUTER", peer), "ROUTER with {peer}");
    }
    for peer in ["ROUTER", "REP", "DEALER"] {
        assert!(wire::compatible("DEALER", peer), "DEALER with {peer}");
    }
    for peer in ["PUB", "SUB", "PUSH", "PAIR", ""] {
        assert!(!wire::compatible("ROUTER", peer), "ROUTER with {peer}");
        assert!(!wire::compatible("DEALER", peer), "DEALER with {peer}");
    }
}
