//! The sans-IO codec's framing: greetings, frame heads and bodies, over arbitrary input.

use bytes::BufMut;
use proptest::prelude::*;

use super::*;
use wire::{Frame, WireError};

/// A greeting with `edit` applied to this end's own.
fn greeting_with(edit: impl FnOnce(&mut [u8; wire::GREETING_LEN])) -> [u8; wire::GREETING_LEN] {
    let mut greeting = wire::greeting(false);
    edit(&mut greeting);
    greeting
}

/// A message encoded as the outbound queue (`conn::Out`) encodes it: each frame's head, then its body.
fn encode(frames: &[Vec<u8>]) -> BytesMut {
    let mut out = BytesMut::new();
    for (index, frame) in frames.iter().enumerate() {
        wire::put_frame_head(&mut out, frame.len(), index + 1 < frames.len(), false);
        out.put_slice(frame);
    }
    out
}

/// A data frame as `decode_frame` returns it.
fn data(more: bool, body: &'static [u8]) -> Frame {
    Frame {
        more,
        command: false,
        body: Bytes::from_static(body),
    }
}

#[test]
fn greetings_round_trip_as_zmtp_3_1_null() {
    for as_server in [false, true] {
        let greeting = wire::greeting(as_server);
        assert_eq!(wire::check_greeting(&greeting), Ok(()));
        assert_eq!((greeting[0], greeting[9]), (0xFF, 0x7F), "signature");
        assert_eq!((greeting[10], greeting[11]), (3, 1), "version");
        assert_eq!(&greeting[12..17], b"NULL\0");
        assert_eq!(greeting[32], u8::from(as_server));
    }
}

#[test]
fn greetings_that_are_not_zmtp_3_null_are_refused() {
    let mut http = [b' '; wire::GREETING_LEN];
    http[..16].copy_from_slice(b"GET / HTTP/1.1\r\n");
    assert_eq!(wire::check_greeting(&http), Err(WireError::Signature));
    let zmtp_1_0 = greeting_with(|g| g[9] = 0x7E);
    assert_eq!(wire::check_greeting(&zmtp_1_0), Err(WireError::Signature));
    for major in [1, 2] {
        let old = greeting_with(|g| g[10] = major);
        assert_eq!(wire::check_greeting(&old), Err(WireError::Version(major)));
    }
    let curve = greeting_with(|g| g[12..17].copy_from_slice(b"CURVE"));
    assert_eq!(
        wire::check_greeting(&curve),
        Err(WireError::Mechanism("CURVE".into()))
    );
}

#[test]
fn greeting_prefixes_are_refused_as_soon_as_they_show_a_non_zmtp_3_peer() {
    let ours = wire::greeting(false);
    for got in 0..=wire::GREETING_LEN {
        assert_eq!(
            wire::check_greeting_prefix(&ours[..got]),
            Ok(()),
            "{got} bytes"
        );
    }
    assert_eq!(wire::check_greeting_prefix(b"G"), Err(WireError::Signature));
    let zmtp_1_0 = greeting_with(|g| g[9] = 0x7E);
    assert_eq!(wire::check_greeting_prefix(&zmtp_1_0[..9]), Ok(()));
    assert_eq!(
        wire::check_greeting_prefix(&zmtp_1_0[..10]),
        Err(WireError::Signature)
    );
    let zmtp_2 = greeting_with(|g| g[10] = 2);
    assert_eq!(
        wire::check_greeting_prefix(&zmtp_2[..11]),
        Err(WireError::Version(2))
    );
}

#[test]
fn short_and_long_frames_decode_with_their_more_flag() {
    let long = vec![b'x'; 300];
    let mut buf = encode(&[b"abc".to_vec(), long.clone(), Vec::new()]);
    assert_eq!(&buf[..2], &[0x01, 3], "short frame head: MORE, 1-byte size");
    assert_eq!(
        wire::decode_frame(&mut buf, 1024),
        Ok(Some(data(true, b"abc")))
    );
    assert_eq!(buf[0], 0x03, "long frame head: MORE | LONG");
    assert_eq!(&buf[1..9], &300u64.to_be_bytes());
    let frame = wire::decode_frame(&mut buf, 1024).unwrap().unwrap();
    assert_eq!(
        (frame.more, frame.command, &frame.body[..]),
        (true, false, &long[..])
    );
    assert_eq!(
        wire::decode_frame(&mut buf, 1024),
        Ok(Some(data(false, b"")))
    );
    assert!(buf.is_empty());
    assert_eq!(wire::decode_frame(&mut buf, 1024), Ok(None));
}

#[test]
fn frames_fed_a_byte_at_a_time_decode_once_whole() {
    let bodies = [b"first".to_vec(), vec![7u8; 256], b"last".to_vec()];
    let encoded = encode(&bodies);
    let mut buf = BytesMut::new();
    let mut decoded = Vec::new();
    for &byte in encoded.iter() {
        buf.put_u8(byte);
        if let Some(frame) = wire::decode_frame(&mut buf, 1024).unwrap() {
            assert!(
                buf.is_empty(),
                "a frame is taken as soon as its last byte arrives"
            );
            decoded.push(frame.body.to_vec());
        }
    }
    assert_eq!(decoded, bodies);
}

#[test]
fn reserved_flag_bits_are_refused() {
    for flags in [0x08, 0x10, 0x80, 0xFF] {
        let mut buf = BytesMut::from(&[flags, 0][..]);
        assert_eq!(
            wire::decode_frame(&mut buf, 1024),
            Err(WireError::Flags(flags))
        );
    }
}

#[test]
fn oversized_frames_are_refused_before_their_body_arrives() {
    let mut short = BytesMut::from(&[0x00, 200][..]);
    assert_eq!(
        wire::decode_frame(&mut short, 100),
        Err(WireError::TooLarge {
            size: 200,
            limit: 100
        })
    );
    for size in [1000, u64::MAX] {
        let mut long = BytesMut::from(&[0x02][..]);
        long.put_u64(size);
        assert_eq!(
            wire::decode_frame(&mut long, 100),
            Err(WireError::TooLarge { size, limit: 100 })
        );
    }
}

/// A peer announcing a large frame (within the cap) and sending nothing more gets at most
/// `RESERVE_AHEAD` bytes reserved, not the frame's size.
#[test]
fn a_large_announced_frame_is_not_allocated_before_it_arrives() {
    let mut buf = BytesMut::from(&[0x02][..]);
    buf.put_u64(60 << 20);
    assert_eq!(wire::decode_frame(&mut buf, 65 << 20), Ok(None));
    assert!(
        buf.capacity() <= wire::RESERVE_AHEAD + 64,
        "{} bytes reserved",
        buf.capacity()
    );
}

/// A cap of `usize::MAX` admits any size: the head plus the body must not overflow.
#[test]
fn a_size_near_usize_max_under_an_unbounded_cap_is_no_overflow() {
    for size in [u64::MAX, u64::MAX - 8] {
        let mut buf = BytesMut::from(&[0x02][..]);
        buf.put_u64(size);
        let decoded = wire::decode_frame(&mut buf, usize::MAX);
        assert!(
            matches!(decoded, Ok(None) | Err(WireError::TooLarge { .. })),
            "{decoded:?}"
        );
    }
}

#[test]
fn command_frames_are_flagged_and_never_continue_a_message() {
    let mut buf = BytesMut::new();
    wire::put_command(&mut buf, "PING", &[0, 0]);
    assert_eq!(buf[0], 0x04);
    buf[0] |= 0x01;
    let frame = wire::decode_frame(&mut buf, 1024).unwrap().unwrap();
    assert!(frame.command && !frame.more);
    assert_eq!(&frame.body[..], b"\x04PING\0\0");
}

proptest! {
    #[test]
    fn messages_decode_to_what_was_encoded(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 1..5),
        chunk in 1usize..700,
    ) {
        let encoded = encode(&frames);
        let mut buf = BytesMut::new();
        let mut decoded = Vec::new();
        for piece in encoded.chunks(chunk) {
            buf.put_slice(piece);
            while let Some(frame) = wire::decode_frame(&mut buf, 600).unwrap() {
                prop_assert!(!frame.command);
                decoded.push((frame.more, frame.body.to_vec()));
            }
        }
        let expected: Vec<_> = frames
            .iter()
            .enumerate()
            .map(|(index, body)| (index + 1 < frames.len(), body.clone()))
            .collect();
        prop_assert_eq!(decoded, expected);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = wire::check_greeting_prefix(&bytes);
        let _ = wire::parse_ready(&Bytes::copy_from_slice(&bytes));
        let mut buf = BytesMut::from(&bytes[..]);
        while let Ok(Some(frame)) = wire::decode_frame(&mut buf, 1024) {
            if frame.command {
                let _ = wire::split_command(&frame.body);
                let _ = wire::parse_ready(&frame.body);
            }
        }
    }
}
