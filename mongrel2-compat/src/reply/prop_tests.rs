use super::*;
use proptest::prelude::*;

fn uuid() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range('a', 'z'),
            proptest::char::range('A', 'Z'),
            proptest::char::range('0', '9'),
            Just('-'),
        ],
        1..40,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>().into_bytes())
}

proptest! {
    #[test]
    fn encode_then_parse_round_trips(
        uuid in uuid(),
        ids in proptest::collection::vec(any::<u64>(), 1..=MAX_IDS),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut out = Vec::new();
        encode(&uuid, &ids, &body, &mut out);
        let reply = parse(&out).unwrap();
        prop_assert_eq!(reply.uuid, &uuid[..]);
        prop_assert_eq!(&reply.ids, &ids);
        let expected = if body.is_empty() { Kind::Close } else { Kind::Data(&body) };
        prop_assert_eq!(reply.kind, expected);
    }

    #[test]
    fn ctl_round_trips(
        ids in proptest::collection::vec(0u64..1 << 32, 1..10),
        keep_alive in any::<bool>(),
        credits in proptest::option::of(any::<i64>()),
        cancel in any::<bool>(),
    ) {
        let ctl = Ctl { keep_alive, credits, cancel };
        let mut out = Vec::new();
        encode_ctl(b"u", &ids, &ctl, &mut out);
        let reply = parse(&out).unwrap();
        prop_assert_eq!(reply.ids, ids);
        prop_assert_eq!(reply.kind, Kind::Extended(Extended::Ctl(ctl)));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&bytes);
        let _ = parse_with(&bytes, 1);
    }

    #[test]
    fn mutated_replies_never_panic(
        ids in proptest::collection::vec(any::<u64>(), 1..5),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut out = Vec::new();
        encode_ctl(b"u", &ids, &Ctl { keep_alive: true, credits: Some(5), cancel: false }, &mut out);
        let at = cut.index(out.len());
        let _ = parse(&out[..at]);
        out[at] = byte;
        let _ = parse(&out);
    }
}
