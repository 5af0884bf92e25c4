use std::borrow::Cow;

use proptest::prelude::*;

use super::*;

/// Bytes for a SENDER or PATH field: non-empty, no space.
fn field() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>().prop_filter("no space", |b| *b != b' '), 1..16)
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

/// A header value as owned bytes: one string, or a list of 0-5 strings.
#[derive(Debug, Clone)]
enum OwnedValue {
    One(Vec<u8>),
    Many(Vec<Vec<u8>>),
}

fn value() -> impl Strategy<Value = OwnedValue> {
    prop_oneof![
        bytes(24).prop_map(OwnedValue::One),
        proptest::collection::vec(bytes(12), 0..6).prop_map(OwnedValue::Many),
    ]
}

/// Header names for built requests: mixed case, repeats, and names Mongrel2 also sets.
const NAMES: &[&[u8]] = &[
    b"Host",
    b"X-Dup",
    b"x-dup",
    b"Cookie",
    b"X-Forwarded-For",
    b"accept",
    b"FLAGS",
];

fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![Just(Protocol::Json), Just(Protocol::Tnetstring)]
}

fn headers(pairs: &[(Vec<u8>, OwnedValue)]) -> Headers<'_> {
    pairs
        .iter()
        .map(|(key, value)| {
            let value = match value {
                OwnedValue::One(v) => HeaderValue::One(Cow::Borrowed(&v[..])),
                OwnedValue::Many(vs) => {
                    HeaderValue::Many(vs.iter().map(|v| Cow::Borrowed(&v[..])).collect())
                }
            };
            (Cow::Borrowed(&key[..]), value)
        })
        .collect()
}

proptest! {
    #[test]
    fn any_request_encodes_and_decodes_back(
        sender in field(),
        conn_id in any::<u64>(),
        path in field(),
        pairs in proptest::collection::vec((bytes(16), value()), 0..10),
        body in bytes(64),
        protocol in protocol(),
    ) {
        let request = Request { sender: &sender, conn_id, path: &path, headers: headers(&pairs), body: &body, protocol };
        let frame = request.to_vec();
        prop_assert_eq!(frame.len(), request.encoded_len());
        prop_assert_eq!(decode(&frame), Ok(request));
    }

    #[test]
    fn arbitrary_bytes_never_panic(frame in bytes(256)) {
        let _ = decode(&frame);
    }

    #[test]
    fn decoded_frames_reencode_to_an_equal_request(
        prefix in prop_oneof![Just(&b"S 1 /p "[..]), Just(&b"S 99 @* "[..])],
        rest in bytes(128),
    ) {
        let mut frame = prefix.to_vec();
        frame.extend_from_slice(&rest);
        if let Ok(request) = decode(&frame) {
            let again = request.to_vec();
            prop_assert_eq!(decode(&again), Ok(request));
        }
    }

    #[test]
    fn built_requests_decode_back(
        names in proptest::collection::vec(proptest::sample::select(NAMES), 0..12),
        value in bytes(8),
        protocol in protocol(),
        query in proptest::option::of(bytes(8)),
    ) {
        let lines: Vec<(&[u8], &[u8])> = names.iter().map(|n| (*n, &value[..])).collect();
        let built = Builder::new(b"S", 5, protocol)
            .method(b"GET").path(b"/p").version(b"HTTP/1.1").uri(b"/p").query(query.as_deref())
            .pattern(b"/").remote_addr(b"127.0.0.1").headers(lines).extra(key::FLAGS, &b"0x81"[..])
            .build()
            .unwrap();
        let kept: usize = built.request.headers.iter().map(|(_, v)| v.values().count()).sum();
        prop_assert!(built.dropped.len() + kept >= names.len());
        let frame = built.request.to_vec();
        prop_assert_eq!(decode(&frame), Ok(built.request));
    }
}
