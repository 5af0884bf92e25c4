use std::borrow::Cow;

use proptest::prelude::*;

use super::*;

fn str_value(value: &JsonValue<'_>) -> Vec<u8> {
    value.as_bytes().expect("a string value").to_vec()
}

#[test]
fn mongrel2_header_object_decodes_with_raw_bytes_and_arrays() {
    let text = b"{\"PATH\":\"/tab\",\"x-tab\":\"a\tb\",\"x-bin\":\"\xff\xfe\",\"x-dup\":[\"one\",\"two\"],\
\"x-quote\":\"he said \\\"hi\\\" \\\\ back\"}";
    let object = parse_object(text).unwrap();
    let keys: Vec<&[u8]> = object.iter().map(|(k, _)| &k[..]).collect();
    assert_eq!(
        keys,
        [&b"PATH"[..], b"x-tab", b"x-bin", b"x-dup", b"x-quote"]
    );
    assert_eq!(str_value(&object[1].1), b"a\tb");
    assert_eq!(str_value(&object[2].1), b"\xff\xfe");
    assert_eq!(
        object[3].1,
        JsonValue::List(vec![Cow::Borrowed(&b"one"[..]), Cow::Borrowed(&b"two"[..])])
    );
    assert_eq!(str_value(&object[4].1), br#"he said "hi" \ back"#);
}

#[test]
fn unescaped_strings_are_borrowed_and_escaped_ones_owned() {
    let object = parse_object(br#"{"plain":"abc","esc":"a\nb"}"#).unwrap();
    assert!(matches!(&object[0].0, Cow::Borrowed(_)));
    assert!(matches!(
        &object[0].1,
        JsonValue::Str(Cow::Borrowed(b"abc"))
    ));
    assert!(matches!(&object[1].1, JsonValue::Str(Cow::Owned(v)) if v == b"a\nb"));
}

#[test]
fn standard_escapes_and_whitespace_from_other_producers_decode() {
    let text = br#" { "k" : "\"\\\/\b\f\n\r\t\u00e9\u20ac\ud83d\ude00" , "l" : [ "a" , "b" ] } "#;
    let object = parse_object(text).unwrap();
    assert_eq!(
        str_value(&object[0].1),
        "\"\\/\u{8}\u{c}\n\r\té€😀".as_bytes()
    );
    assert!(matches!(&object[1].1, JsonValue::List(items) if items.len() == 2));
}

#[test]
fn other_values_are_kept_as_raw_text() {
    let text = br#"{"n":-12.5e+3,"t":true,"f":false,"z":null,"o":{"a":[1,{}]},"m":["a",1],"e":[]}"#;
    let object = parse_object(text).unwrap();
    let raw: Vec<&JsonValue<'_>> = object.iter().map(|(_, v)| v).collect();
    assert_eq!(raw[0], &JsonValue::Other(b"-12.5e+3"));
    assert_eq!(raw[1], &JsonValue::Other(b"true"));
    assert_eq!(raw[2], &JsonValue::Other(b"false"));
    assert_eq!(raw[3], &JsonValue::Other(b"null"));
    assert_eq!(raw[4], &JsonValue::Other(br#"{"a":[1,{}]}"#));
    assert_eq!(raw[5], &JsonValue::Other(br#"["a",1]"#));
    assert_eq!(raw[6], &JsonValue::List(Vec::new()));
}

#[test]
fn find_returns_the_first_pair_with_the_key() {
    let object = parse_object(br#"{"type":"disconnect","type":"other"}"#).unwrap();
    assert_eq!(
        find(&object, b"type").and_then(JsonValue::as_bytes),
        Some(&b"disconnect"[..])
    );
    assert_eq!(find(&object, b"missing"), None);
    assert!(parse_object(b"{}").unwrap().is_empty());
}

#[test]
fn malformed_text_gives_typed_errors() {
    let cases: &[(&[u8], Error)] = &[
        (
            b"",
            Error::Truncated {
                context: "an object",
            },
        ),
        (
            b"[]",
            Error::Unexpected {
                expected: "'{' opening the object",
                found: b'[',
                offset: 0,
            },
        ),
        (
            br#"{"a""#,
            Error::Truncated {
                context: "an object",
            },
        ),
        (
            br#"{"a":"b"#,
            Error::Truncated {
                context: "a string",
            },
        ),
        (
            br#"{"a":"b" "c"}"#,
            Error::Unexpected {
                expected: "',' or '}' after a value",
                found: b'"',
                offset: 9,
            },
        ),
        (
            br#"{a:"b"}"#,
            Error::Unexpected {
                expected: "'\"' opening a key",
                found: b'a',
                offset: 1,
            },
        ),
        (br#"{"a":"\x"}"#, Error::BadEscape { offset: 6 }),
        (br#"{"a":"\u12g4"}"#, Error::BadEscape { offset: 6 }),
        (br#"{"a":"\ud800"}"#, Error::LoneSurrogate { offset: 6 }),
        (br#"{"a":"\udc00"}"#, Error::LoneSurrogate { offset: 6 }),
        (
            br#"{"a":"\ud800\u0041"}"#,
            Error::LoneSurrogate { offset: 6 },
        ),
        (
            br#"{"a":01}"#,
            Error::Unexpected {
                expected: "',' or '}' after a value",
                found: b'1',
                offset: 6,
            },
        ),
        (br#"{"a":-}"#, Error::BadLiteral { offset: 5 }),
        (br#"{"a":1.}"#, Error::BadLiteral { offset: 5 }),
        (br#"{"a":1e}"#, Error::BadLiteral { offset: 5 }),
        (br#"{"a":nul}"#, Error::BadLiteral { offset: 5 }),
        (br#"{"a":"b"} x"#, Error::TrailingBytes { offset: 10 }),
        (
            br#"{"a":"b",}"#,
            Error::Unexpected {
                expected: "'\"' opening a key",
                found: b'}',
                offset: 9,
            },
        ),
    ];
    for (text, want) in cases {
        assert_eq!(
            parse_object(text).as_ref(),
            Err(want),
            "{}",
            text.escape_ascii()
        );
    }
}

#[test]
fn caps_on_keys_items_and_depth_are_enforced() {
    let mut many_keys = b"{".to_vec();
    for i in 0..=MAX_KEYS {
        many_keys.extend_from_slice(format!("\"k{i}\":\"v\",").as_bytes());
    }
    many_keys.pop();
    many_keys.push(b'}');
    assert_eq!(
        parse_object(&many_keys),
        Err(Error::TooManyKeys { max: MAX_KEYS })
    );

    let items = vec!["\"v\""; MAX_ARRAY_ITEMS + 1].join(",");
    let many_items = format!("{{\"k\":[{items}]}}");
    assert_eq!(
        parse_object(many_items.as_bytes()),
        Err(Error::TooManyItems {
            max: MAX_ARRAY_ITEMS
        })
    );
    let at_cap = format!("{{\"k\":[{}]}}", vec!["\"v\""; MAX_ARRAY_ITEMS].join(","));
    assert!(parse_object(at_cap.as_bytes()).is_ok());

    let deep = |levels: usize| format!("{{\"k\":{}{}}}", "[".repeat(levels), "]".repeat(levels));
    assert!(parse_object(deep(MAX_DEPTH - 1).as_bytes()).is_ok());
    assert_eq!(
        parse_object(deep(MAX_DEPTH).as_bytes()),
        Err(Error::TooDeep { max: MAX_DEPTH })
    );
}

#[test]
fn writer_escapes_only_quote_and_backslash() {
    let mut out = Vec::new();
    let mut writer = ObjectWriter::new(&mut out);
    writer.str(b"PATH", b"/x").str(b"x-q", b"a\"b\\c\t\xff\n");
    writer.list(b"x-dup", [&b"1"[..], b"\""]);
    writer.finish();
    assert_eq!(
        out,
        b"{\"PATH\":\"/x\",\"x-q\":\"a\\\"b\\\\c\t\xff\n\",\"x-dup\":[\"1\",\"\\\"\"]}"
    );
    assert_eq!(str_len(b"a\"b\\c"), 9);
    let mut empty = Vec::new();
    ObjectWriter::new(&mut empty).finish();
    assert_eq!(empty, b"{}");
}

proptest! {
    #[test]
    fn written_objects_parse_back(pairs in proptest::collection::vec(
        (proptest::collection::vec(any::<u8>(), 0..12),
         proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 1..4)),
        0..8,
    )) {
        let mut out = Vec::new();
        let mut writer = ObjectWriter::new(&mut out);
        for (key, values) in &pairs {
            if values.len() == 1 {
                writer.str(key, &values[0]);
            } else {
                writer.list(key, values.iter().map(Vec::as_slice));
            }
        }
        writer.finish();
        let object = parse_object(&out).unwrap();
        prop_assert_eq!(object.len(), pairs.len());
        for ((key, value), (want_key, want_values)) in object.iter().zip(&pairs) {
            prop_assert_eq!(&key[..], &want_key[..]);
            match value {
                JsonValue::Str(s) => prop_assert_eq!(vec![s.to_vec()], want_values.clone()),
                JsonValue::List(items) => {
                    let got: Vec<Vec<u8>> = items.iter().map(|i| i.to_vec()).collect();
                    prop_assert_eq!(&got, want_values);
                }
                JsonValue::Other(raw) => prop_assert!(false, "unexpected raw value {:?}", raw),
            }
        }
    }

    /// Strings of every length around the 8-byte words, with `"` and `\\` anywhere: each byte to
    /// escape gets its backslash, and the length matches `str_len`.
    #[test]
    fn strings_escape_as_byte_by_byte(bytes in proptest::collection::vec(
        prop_oneof![Just(b'"'), Just(b'\\'), Just(b'a'), Just(0x22 ^ 0x80), Just(0u8), any::<u8>()],
        0..40,
    )) {
        let mut want = vec![b'"'];
        for &b in &bytes {
            if b == b'"' || b == b'\\' {
                want.push(b'\\');
            }
            want.push(b);
        }
        want.push(b'"');
        let mut out = b"prefix".to_vec();
        write_str(&mut out, &bytes);
        prop_assert_eq!(&out[6..], &want[..]);
        prop_assert_eq!(str_len(&bytes), want.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_object(&bytes);
    }

    #[test]
    fn arbitrary_bytes_inside_an_object_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut text = b"{\"k\":".to_vec();
        text.extend_from_slice(&bytes);
        let _ = parse_object(&text);
    }
}
