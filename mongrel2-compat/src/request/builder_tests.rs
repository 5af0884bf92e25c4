use std::borrow::Cow;

use super::*;

fn http_get(protocol: Protocol) -> Builder<'static> {
    Builder::new(b"S", 7, protocol)
        .method(b"GET")
        .path(b"/p")
        .version(b"HTTP/1.1")
        .uri(b"/p?a=1#f")
        .query(Some(b"a=1"))
        .fragment(Some(b"f"))
        .pattern(b"/")
        .remote_addr(b"10.0.0.1")
}

#[test]
fn builder_lays_out_json_and_tnetstring_orders() {
    let json = http_get(Protocol::Json)
        .header(b"Host", b"h")
        .build()
        .unwrap();
    assert!(json.dropped.is_empty());
    let keys: Vec<&[u8]> = json.request.headers.iter().map(|(k, _)| k).collect();
    let want_json: [&[u8]; 11] = [
        b"PATH",
        b"x-forwarded-for",
        b"host",
        b"METHOD",
        b"VERSION",
        b"URI",
        b"QUERY",
        b"FRAGMENT",
        b"PATTERN",
        b"URL_SCHEME",
        b"REMOTE_ADDR",
    ];
    assert_eq!(keys, want_json);
    assert_eq!(
        json.request.headers.get_str(b"x-forwarded-for"),
        Some("10.0.0.1")
    );

    let tnet = http_get(Protocol::Tnetstring)
        .header(b"Host", b"h")
        .build()
        .unwrap();
    let keys: Vec<&[u8]> = tnet.request.headers.iter().map(|(k, _)| k).collect();
    let want_tnet: [&[u8]; 11] = [
        b"REMOTE_ADDR",
        b"METHOD",
        b"URL_SCHEME",
        b"PATTERN",
        b"FRAGMENT",
        b"QUERY",
        b"URI",
        b"VERSION",
        b"PATH",
        b"host",
        b"x-forwarded-for",
    ];
    assert_eq!(keys, want_tnet);
    assert_eq!(decode(&tnet.request.to_vec()).unwrap(), tnet.request);
}

#[test]
fn builder_merges_names_case_insensitively_and_reports_drops() {
    let names: [&[u8]; 7] = [
        b"X-Dup", b"x-dup", b"X-DUP", b"x-Dup", b"x-dup", b"X-dup", b"x-dup",
    ];
    let values: [&[u8]; 7] = [b"1", b"2", b"3", b"4", b"5", b"6", b"7"];
    let built = http_get(Protocol::Json)
        .headers(names.into_iter().zip(values))
        .build()
        .unwrap();
    let dup = built.request.headers.get(b"x-dup").unwrap();
    assert_eq!(
        dup.values().collect::<Vec<_>>(),
        [&b"1"[..], b"2", b"3", b"4", b"5"]
    );
    let dropped: Vec<_> = built
        .dropped
        .iter()
        .map(|d| (d.name, d.value, d.reason))
        .collect();
    assert_eq!(
        dropped,
        [
            (&b"X-dup"[..], &b"6"[..], DropReason::TooManyValues),
            (b"x-dup", b"7", DropReason::TooManyValues)
        ]
    );

    let full = http_get(Protocol::Json)
        .header_count(1)
        .header(b"a", b"1")
        .header(b"b", b"2")
        .build()
        .unwrap();
    assert_eq!(full.dropped[0].reason, DropReason::TableFull);
    assert!(full.request.headers.get(b"x-forwarded-for").is_some());
}

#[test]
fn x_forwarded_for_replaces_the_client_value_in_place_or_keeps_it() {
    let client = http_get(Protocol::Json)
        .header(b"X-Forwarded-For", b"6.6.6.6")
        .header(b"X-Forwarded-For", b"7.7.7.7");
    let replaced = client.clone().build().unwrap();
    assert_eq!(
        replaced.request.headers.get(b"x-forwarded-for"),
        Some(&HeaderValue::One(Cow::Borrowed(&b"10.0.0.1"[..])))
    );
    let kept = client.clone().x_forwarded_for(None).build().unwrap();
    assert_eq!(
        kept.request
            .headers
            .get(b"x-forwarded-for")
            .map(|v| v.values().count()),
        Some(2)
    );
    let given = client.x_forwarded_for(Some(b"1.2.3.4")).build().unwrap();
    assert_eq!(
        given.request.headers.get_str(b"x-forwarded-for"),
        Some("1.2.3.4")
    );
}

#[test]
fn builder_rejects_missing_parts_and_spaces() {
    let base = || {
        Builder::new(b"S", 1, Protocol::Json)
            .method(b"GET")
            .pattern(b"/")
            .remote_addr(b"a")
    };
    assert_eq!(base().build(), Err(BuildError::Missing("path")));
    assert_eq!(
        base().path(b"/a b").build(),
        Err(BuildError::BadField { field: "path" })
    );
    assert_eq!(
        Builder::new(b"", 1, Protocol::Json).build(),
        Err(BuildError::BadField { field: "sender" })
    );
    let no_method = Builder::new(b"S", 1, Protocol::Json)
        .path(b"/")
        .pattern(b"/")
        .remote_addr(b"a");
    assert_eq!(no_method.build(), Err(BuildError::Missing("method")));
    assert_eq!(
        base()
            .path(b"/")
            .pattern(b"/")
            .build()
            .map(|b| b.request.path),
        Ok(&b"/"[..])
    );
}

#[test]
fn websocket_flags_are_hex_of_the_first_byte_with_fin() {
    assert_eq!(&websocket_flags(0x81), b"0x81");
    assert_eq!(&websocket_flags(0x01), b"0x81");
    assert_eq!(&websocket_flags(0x8a), b"0x8A");
    let frame = http_get(Protocol::Json)
        .websocket_frame(0x82)
        .body(b"\x00")
        .build()
        .unwrap();
    assert_eq!(frame.request.method(), Some(key::METHOD_WEBSOCKET));
    assert_eq!(frame.request.headers.get_str(key::FLAGS), Some("0x82"));
}

/// The JSON prefix is written for the unescaped length and corrected after: values with `"` and
/// `\` get the right netstring length, also when the escapes give it one more digit.
#[test]
fn escaped_values_get_the_right_netstring_length() {
    let base = http_get(Protocol::Json).build().unwrap().request.to_vec();
    let base_len = base.len();
    let headers_len = |frame: &[u8]| {
        let start = frame.iter().position(|&b| b == b'{').unwrap();
        let colon = frame[..start].iter().rposition(|&b| b == b' ').unwrap() + 1;
        let prefix: usize = std::str::from_utf8(&frame[colon..start - 1])
            .unwrap()
            .parse()
            .unwrap();
        (
            prefix,
            frame[start..].iter().rposition(|&b| b == b'}').unwrap() + 1,
        )
    };
    let (prefix, object) = headers_len(&base);
    assert_eq!(prefix, object);
    // Pad the unescaped object to 999 bytes, then let escapes carry it past 1000.
    let pad = 999 - prefix - b",\"x\":\"\"".len();
    for value in [
        "\"".repeat(pad / 2),
        format!("{}\\\\\"", "v".repeat(pad - 3)),
        "a\"b\\c".to_owned(),
    ] {
        let built = http_get(Protocol::Json)
            .header(b"x", value.as_bytes())
            .build()
            .unwrap();
        let frame = built.request.to_vec();
        let (prefix, object) = headers_len(&frame);
        assert_eq!(prefix, object, "{value:?}");
        assert_eq!(frame.len(), built.request.encoded_len());
        let decoded = decode(&frame).unwrap();
        assert_eq!(decoded.headers.get_str(b"x"), Some(value.as_str()));
        assert!(frame.len() > base_len);
    }
}
