use super::*;
use proptest::prelude::*;

const CAPTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/mongrel2-captures/"
);

fn capture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{CAPTURES}{path}")).unwrap()
}

/// Decodes every frame of a buffer, asserting each is consumed whole.
fn decode_all(decoder: Decoder, mut buf: &[u8]) -> Result<Vec<Frame>, Error> {
    let mut frames = Vec::new();
    while !buf.is_empty() {
        match decoder.decode(buf)? {
            Decoded::Frame { frame, consumed } => {
                frames.push(frame);
                buf = &buf[consumed..];
            }
            Decoded::NeedMore(n) => panic!("truncated capture, {n} more bytes wanted"),
        }
    }
    Ok(frames)
}

/// Feeds captured client bytes through decoder and reassembler: (FLAGS, payload) per message.
fn messages(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut reassembler = Reassembler::default();
    decode_all(Decoder::server(), bytes)
        .unwrap()
        .into_iter()
        .filter_map(|frame| reassembler.push(frame).unwrap())
        .map(|m| (m.flags(), m.payload))
        .collect()
}

#[test]
fn accept_key_matches_the_handshake_body_mongrel2_sent() {
    let request = capture("json-07-websocket/02-m2-to-handler-handshake.bin");
    assert!(request.ends_with(b",28:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=,"));
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn captured_client_frames_decode_to_what_mongrel2_forwarded() {
    let dir = "json-07-websocket/";
    let cases: [(&str, &str, &[u8]); 5] = [
        ("05-client-to-m2-text-frame-Hello.bin", "0x81", b"Hello"),
        (
            "09-client-to-m2-binary-frame.bin",
            "0x82",
            b"\x00\x01\x02\xff",
        ),
        ("11-client-to-m2-ping-frame.bin", "0x89", b"png"),
        (
            "13-client-to-m2-fragmented-text.bin",
            "0x81",
            b"frag-one frag-two",
        ),
        ("15-client-to-m2-close-frame.bin", "0x88", b"\x03\xe8bye"),
    ];
    for (file, flags, payload) in cases {
        let got = messages(&capture(&format!("{dir}{file}")));
        assert_eq!(got, vec![(flags.to_string(), payload.to_vec())], "{file}");
    }
}

#[test]
fn unmasked_client_frame_is_a_protocol_error() {
    let bytes = capture("json-07b-websocket-unmasked-frame/05-client-to-m2-unmasked-text.bin");
    assert_eq!(Decoder::server().decode(&bytes), Err(Error::Unmasked));
}

#[test]
fn handler_frames_encode_byte_for_byte_as_captured() {
    let mut text = Vec::new();
    encode_frame(true, Opcode::Text, b"echo: Hello", &mut text).unwrap();
    assert!(capture("json-07-websocket/07-handler-to-m2-text-reply.bin").ends_with(&text));
    let mut close = Vec::new();
    encode_frame(true, Opcode::Close, b"\x03\xe8", &mut close).unwrap();
    assert_eq!(
        close,
        capture("json-07-websocket/19-m2-to-client-after-close-then-EOF.bin")
    );
}

#[test]
fn every_prefix_of_a_frame_needs_more() {
    for len in [0usize, 5, 125, 126, 65535, 65536, 70_000] {
        let payload = vec![b'x'; len];
        let mut wire = Vec::new();
        encode_client_frame(true, Opcode::Binary, [9, 8, 7, 6], &payload, &mut wire).unwrap();
        for cut in [0, 1, 2, 3, 9, wire.len() - 1] {
            match Decoder::server()
                .decode(&wire[..cut.min(wire.len() - 1)])
                .unwrap()
            {
                Decoded::NeedMore(n) => assert!(n >= 1, "len {len} cut {cut}"),
                other => panic!("len {len} cut {cut}: {other:?}"),
            }
        }
        let Decoded::Frame { frame, consumed } = Decoder::server().decode(&wire).unwrap() else {
            panic!("len {len}: no frame");
        };
        assert_eq!((consumed, frame.payload), (wire.len(), payload));
    }
}

#[test]
fn lengths_use_the_shortest_header() {
    let header_len = |len: usize| {
        let mut out = Vec::new();
        encode_frame(true, Opcode::Binary, &vec![0; len], &mut out).unwrap();
        out.len() - len
    };
    assert_eq!(
        [
            header_len(125),
            header_len(126),
            header_len(65535),
            header_len(65536)
        ],
        [2, 4, 4, 10]
    );
}

#[test]
fn oversized_frame_is_refused_from_its_header_alone() {
    let header = [0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
    let err = Decoder::server().decode(&header).unwrap_err();
    assert_eq!(
        err,
        Error::FrameTooLarge {
            len: 1 << 63,
            max: DEFAULT_MAX_FRAME_PAYLOAD
        }
    );
    let small = Decoder::server().with_max_payload(4);
    let mut wire = Vec::new();
    encode_client_frame(true, Opcode::Text, [1; 4], b"hello", &mut wire).unwrap();
    assert_eq!(
        small.decode(&wire[..2]),
        Err(Error::FrameTooLarge { len: 5, max: 4 })
    );
}

#[test]
fn header_protocol_errors_are_named() {
    let server = Decoder::server();
    assert_eq!(server.decode(&[0x83, 0x80]), Err(Error::ReservedOpcode(3)));
    assert_eq!(
        server.decode(&[0x09, 0x80]),
        Err(Error::FragmentedControl(Opcode::Ping))
    );
    assert_eq!(
        server.decode(&[0x89, 0x80 | 126, 0, 126]),
        Err(Error::ControlTooLong {
            opcode: Opcode::Ping,
            len: 126
        })
    );
    assert_eq!(Decoder::client().decode(&[0x81, 0x80]), Err(Error::Masked));
    let mut out = Vec::new();
    assert_eq!(
        encode_frame(false, Opcode::Close, b"", &mut out),
        Err(Error::FragmentedControl(Opcode::Close))
    );
    assert_eq!(
        encode_frame(true, Opcode::Pong, &[0; 126], &mut out),
        Err(Error::ControlTooLong {
            opcode: Opcode::Pong,
            len: 126
        })
    );
    assert!(out.is_empty());
}

#[test]
fn client_decoder_reads_server_frames() {
    let mut wire = Vec::new();
    encode_frame(false, Opcode::Text, b"ab", &mut wire).unwrap();
    encode_frame(true, Opcode::Continuation, b"c", &mut wire).unwrap();
    let frames = decode_all(Decoder::client(), &wire).unwrap();
    let mut reassembler = Reassembler::default();
    assert_eq!(reassembler.push(frames[0].clone()), Ok(None));
    assert!(reassembler.in_message());
    let message = reassembler.push(frames[1].clone()).unwrap().unwrap();
    assert_eq!(
        (message.opcode, message.payload),
        (Opcode::Text, b"abc".to_vec())
    );
}

fn frame(first_byte: u8, payload: &[u8]) -> Frame {
    Frame {
        first_byte,
        fin: first_byte & 0x80 != 0,
        opcode: Opcode::from_nibble(first_byte).unwrap(),
        payload: payload.to_vec(),
    }
}

#[test]
fn reassembly_errors_and_interleaved_control_frames() {
    let mut r = Reassembler::default();
    assert_eq!(
        r.push(frame(0x80, b"x")),
        Err(Error::ContinuationWithoutStart)
    );
    let mut r = Reassembler::default();
    assert_eq!(r.push(frame(0x02, b"a")), Ok(None));
    let ping = r.push(frame(0x89, b"p")).unwrap().unwrap();
    assert_eq!(
        (ping.flags().as_str(), &ping.payload[..]),
        ("0x89", &b"p"[..])
    );
    assert_eq!(
        r.push(frame(0x81, b"b")),
        Err(Error::DataFrameInFragmentedMessage(Opcode::Text))
    );
    let mut r = Reassembler::new(3);
    assert_eq!(r.push(frame(0x01, b"ab")), Ok(None));
    assert_eq!(
        r.push(frame(0x80, b"cd")),
        Err(Error::MessageTooLarge { len: 4, max: 3 })
    );
    assert_eq!(
        Reassembler::new(1).push(frame(0x82, b"ab")),
        Err(Error::MessageTooLarge { len: 2, max: 1 })
    );
}

#[test]
fn flags_round_trip_and_reject_garbage() {
    let expected = [
        ("0x80", Opcode::Continuation),
        ("0x81", Opcode::Text),
        ("0x82", Opcode::Binary),
    ];
    let more = [
        ("0x88", Opcode::Close),
        ("0x89", Opcode::Ping),
        ("0x8A", Opcode::Pong),
    ];
    for (text, opcode) in expected.into_iter().chain(more) {
        assert_eq!(flags_string(opcode.as_u8()), text);
        assert_eq!(parse_flags(text.as_bytes()), Ok((true, opcode)));
    }
    assert_eq!(flags_string(0xC1), "0xC1");
    assert_eq!(flags_byte(b"0xC1"), Ok(0xC1));
    assert_eq!(parse_flags(b"0x8a"), Ok((true, Opcode::Pong)));
    assert_eq!(parse_flags(b"0x1"), Ok((false, Opcode::Text)));
    assert_eq!(parse_flags(b"0x83"), Err(Error::ReservedOpcode(3)));
    for bad in [&b""[..], b"0x", b"81", b"0x181", b"0xg1", b" 0x81"] {
        assert_eq!(parse_flags(bad), Err(Error::BadFlags), "{bad:?}");
    }
}

proptest! {
    #[test]
    fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Decoder::server().with_max_payload(200).decode(&bytes);
        let _ = Decoder::client().decode(&bytes);
    }

    #[test]
    fn client_frames_round_trip(
        payload in proptest::collection::vec(any::<u8>(), 0..70_000),
        mask in any::<[u8; 4]>(),
        fin in any::<bool>(),
        binary in any::<bool>(),
    ) {
        let opcode = if binary { Opcode::Binary } else { Opcode::Text };
        let mut wire = Vec::new();
        encode_client_frame(fin, opcode, mask, &payload, &mut wire).unwrap();
        let decoded = Decoder::server().decode(&wire).unwrap();
        let first_byte = if fin { 0x80 } else { 0 } | opcode.as_u8();
        let frame = Frame { first_byte, fin, opcode, payload };
        prop_assert_eq!(decoded, Decoded::Frame { frame, consumed: wire.len() });
    }
}
