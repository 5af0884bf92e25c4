//! Unit tests: every type, every error, every cap.

use super::*;

fn one(input: &[u8]) -> Value<'_> {
    parse_complete(input).unwrap()
}

fn err(input: &[u8]) -> Error {
    parse(input).unwrap_err()
}

/// Encodes, and checks `encoded_len` agrees with what was written.
fn enc(value: &Value<'_>) -> Vec<u8> {
    let bytes = value.to_vec();
    assert_eq!(value.encoded_len(), bytes.len(), "encoded_len of {value:?}");
    bytes
}

fn nested_lists(depth: usize) -> Vec<u8> {
    let mut value = Value::List(Vec::new());
    for _ in 1..depth {
        value = Value::List(vec![value]);
    }
    value.to_vec()
}

#[test]
fn strings_borrow_from_input_and_may_be_binary() {
    let input = b"5:hello,";
    let value = one(input);
    assert_eq!(value, Value::Str(b"hello"));
    assert!(std::ptr::eq(
        value.as_bytes().unwrap().as_ptr(),
        input[2..].as_ptr()
    ));
    assert_eq!(one(b"0:,"), Value::Str(b""));
    assert_eq!(one(b"3:\0,\xff,"), Value::Str(b"\0,\xff"));
    assert_eq!(enc(&Value::Str(b"\0,\xff")), b"3:\0,\xff,");
    assert_eq!(value.type_name(), "string");
}

#[test]
fn integers_cover_the_i64_range() {
    assert_eq!(one(b"1:0#"), Value::Int(0));
    assert_eq!(one(b"2:-5#"), Value::Int(-5));
    assert_eq!(one(b"3:007#"), Value::Int(7));
    assert_eq!(one(b"19:9223372036854775807#").as_int(), Some(i64::MAX));
    assert_eq!(one(b"20:-9223372036854775808#").as_int(), Some(i64::MIN));
    assert_eq!(enc(&Value::Int(i64::MIN)), b"20:-9223372036854775808#");
    assert_eq!(enc(&Value::Int(1500)), b"4:1500#");
    assert_eq!(enc(&Value::Int(0)), b"1:0#");
    assert_eq!(Value::Int(1).type_name(), "integer");
}

#[test]
fn floats_round_trip_in_shortest_form() {
    assert_eq!(one(b"3:1.5^"), Value::Float(1.5));
    assert_eq!(one(b"8:1.500000^"), Value::Float(1.5));
    assert_eq!(one(b"5:1e300^"), Value::Float(1e300));
    assert_eq!(one(b"3:inf^"), Value::Float(f64::INFINITY));
    assert_eq!(one(b"3:NaN^"), Value::Float(f64::NAN));
    assert_eq!(enc(&Value::Float(1.5)), b"3:1.5^");
    assert_eq!(enc(&Value::Float(1.0)), b"3:1.0^");
    assert_eq!(enc(&Value::Float(-0.0)), b"4:-0.0^");
    assert_eq!(enc(&Value::Float(0.1)), b"3:0.1^");
    assert_eq!(enc(&Value::Float(f64::NEG_INFINITY)), b"4:-inf^");
    assert_eq!(
        one(b"4:-0.0^").as_float().map(f64::to_bits),
        Some((-0.0f64).to_bits())
    );
    assert_ne!(Value::Float(0.0), Value::Float(-0.0), "compared by bits");
    assert_eq!(Value::Float(0.5).type_name(), "float");
}

#[test]
fn booleans_and_null() {
    assert_eq!(one(b"4:true!"), Value::Bool(true));
    assert_eq!(one(b"5:false!").as_bool(), Some(false));
    assert_eq!(enc(&Value::Bool(true)), b"4:true!");
    assert_eq!(enc(&Value::Bool(false)), b"5:false!");
    assert!(one(b"0:~").is_null());
    assert_eq!(enc(&Value::Null), b"0:~");
    assert_eq!(Value::Bool(true).type_name(), "boolean");
    assert_eq!(Value::Null.type_name(), "null");
}

#[test]
fn lists_keep_order_and_mix_types() {
    let value = one(b"19:5:12345#4:true!1:0#]");
    assert_eq!(
        value,
        Value::List(vec![Value::Int(12345), Value::Bool(true), Value::Int(0)])
    );
    assert_eq!(enc(&value), b"19:5:12345#4:true!1:0#]");
    assert_eq!(one(b"0:]").as_list(), Some(&[][..]));
    assert_eq!(value.type_name(), "list");
    assert_eq!(value.as_dict(), None);
}

#[test]
fn dicts_keep_order_and_duplicates_and_get_finds_the_first() {
    let input = b"23:1:b,1:1#1:a,0:~1:b,1:2#}";
    let value = one(input);
    let keys: Vec<&[u8]> = value.as_dict().unwrap().iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, [&b"b"[..], b"a", b"b"]);
    assert_eq!(value.get(b"b"), Some(&Value::Int(1)));
    assert_eq!(value.get(b"a"), Some(&Value::Null));
    assert_eq!(value.get(b"c"), None);
    assert_eq!(enc(&value), input);
    assert_eq!(one(b"0:}"), Value::Dict(Vec::new()));
    assert_eq!(value.type_name(), "dict");
    assert_eq!(Value::Int(1).get(b"a"), None);
}

#[test]
fn parse_returns_the_bytes_after_the_value() {
    let (value, rest) = parse(b"0:~5:hello,").unwrap();
    assert!(value.is_null());
    assert_eq!(parse(rest).unwrap(), (Value::Str(b"hello"), &b""[..]));
}

#[test]
fn accessors_return_none_for_other_types() {
    let s = Value::Str(b"1");
    assert_eq!(s.as_int(), None);
    assert_eq!(s.as_float(), None);
    assert_eq!(s.as_bool(), None);
    assert_eq!(s.as_list(), None);
    assert!(!s.is_null());
    assert_eq!(Value::Int(1).as_bytes(), None);
}

#[test]
fn write_helpers_match_value_encoding() {
    let mut out = Vec::new();
    write_str(&mut out, b"");
    write_int(&mut out, -42);
    write_float(&mut out, 2.25);
    write_bool(&mut out, false);
    write_null(&mut out);
    assert_eq!(out, b"0:,3:-42#4:2.25^5:false!0:~");
    let mut body = Vec::new();
    write_str(&mut body, b"name=Zed&lang=C&msg=hello%2C+world");
    assert_eq!(body, b"34:name=Zed&lang=C&msg=hello%2C+world,");
}

#[test]
fn truncated_input_is_incomplete_with_the_bytes_needed() {
    assert_eq!(err(b""), Error::Incomplete { needed: 1 });
    assert_eq!(err(b"12"), Error::Incomplete { needed: 1 });
    assert_eq!(err(b"5:"), Error::Incomplete { needed: 6 });
    assert_eq!(err(b"5:hel"), Error::Incomplete { needed: 3 });
    assert_eq!(err(b"5:hello"), Error::Incomplete { needed: 1 });
}

#[test]
fn every_prefix_of_a_nested_value_is_incomplete() {
    let full = Value::List(vec![
        Value::Dict(vec![
            (&b"key"[..], Value::List(vec![Value::Int(-1), Value::Null])),
            (&b"f"[..], Value::Float(2.5)),
        ]),
        Value::Str(b"tail"),
        Value::Bool(true),
    ])
    .to_vec();
    for cut in 0..full.len() {
        match parse(&full[..cut]) {
            Err(Error::Incomplete { needed }) => assert!(needed >= 1, "prefix {cut}"),
            other => panic!("prefix of {cut} bytes gave {other:?}"),
        }
    }
    assert!(parse_complete(&full).is_ok());
}

#[test]
fn length_prefix_caps_and_syntax() {
    assert_eq!(err(b"1234567890"), Error::LengthDigits { max: 9 });
    assert_eq!(err(b"1234567890:"), Error::LengthDigits { max: 9 });
    assert_eq!(err(b"0000000005:hello,"), Error::LengthDigits { max: 9 });
    let no_digit_cap = Limits {
        max_len_digits: 40,
        ..Limits::default()
    };
    let huge = b"99999999999999999999999999:";
    assert_eq!(
        parse_with(huge, &no_digit_cap).unwrap_err(),
        Error::LengthOverflow
    );
    assert_eq!(err(b"+5:hello,"), Error::BadLength { found: b'+' });
    assert_eq!(err(b" 5:hello,"), Error::BadLength { found: b' ' });
    assert_eq!(err(b"-1:,"), Error::BadLength { found: b'-' });
    assert_eq!(err(b":,"), Error::BadLength { found: b':' });
    assert_eq!(err(b"5 :hello,"), Error::MissingColon { found: b' ' });
    assert_eq!(err(b"5x"), Error::MissingColon { found: b'x' });
}

#[test]
fn size_cap_applies_before_the_data_arrives() {
    let small = Limits {
        max_size: 4,
        ..Limits::default()
    };
    assert_eq!(
        parse_with(b"5:", &small).unwrap_err(),
        Error::TooLarge { len: 5, max: 4 }
    );
    assert_eq!(
        parse_with(b"12", &small).unwrap_err(),
        Error::TooLarge { len: 12, max: 4 }
    );
    assert!(parse_with(b"4:abcd,", &small).is_ok());
    let over = format!("{}:", MAX_SIZE + 1);
    assert_eq!(
        err(over.as_bytes()),
        Error::TooLarge {
            len: MAX_SIZE + 1,
            max: MAX_SIZE
        }
    );
}

#[test]
fn depth_cap_allows_64_and_rejects_65() {
    assert!(parse_complete(&nested_lists(MAX_DEPTH)).is_ok());
    assert_eq!(
        parse_complete(&nested_lists(MAX_DEPTH + 1)).unwrap_err(),
        Error::TooDeep { max: MAX_DEPTH }
    );
    let flat = Limits {
        max_depth: 0,
        ..Limits::default()
    };
    assert!(parse_with(b"1:0#", &flat).is_ok());
    assert_eq!(
        parse_with(b"0:}", &flat).unwrap_err(),
        Error::TooDeep { max: 0 }
    );
}

#[test]
fn scalar_payload_errors() {
    assert_eq!(err(b"1:x*"), Error::UnknownTag(b'*'));
    for bad in [
        &b"0:#"[..],
        b"1:-#",
        b"2:+5#",
        b"2: 5#",
        b"3:1.5#",
        b"2:5 #",
    ] {
        assert!(matches!(err(bad), Error::BadInteger { .. }), "{bad:?}");
    }
    assert_eq!(
        err(b"19:9223372036854775808#"),
        Error::IntegerOutOfRange {
            text: "9223372036854775808".into()
        }
    );
    assert!(matches!(
        err(b"20:-9223372036854775809#"),
        Error::IntegerOutOfRange { .. }
    ));
    for bad in [&b"0:^"[..], b"3:abc^", b"4: 1.5^", b"2:\xff\xfe^"] {
        assert!(matches!(err(bad), Error::BadFloat { .. }), "{bad:?}");
    }
    assert_eq!(
        err(b"4:True!"),
        Error::BadBool {
            text: "True".into()
        }
    );
    assert!(matches!(err(b"1:1!"), Error::BadBool { .. }));
    assert_eq!(err(b"1:x~"), Error::NullNotEmpty { len: 1 });
}

#[test]
fn container_errors() {
    assert_eq!(
        err(b"8:1:1#1:a,}"),
        Error::DictKeyNotString { found: "integer" }
    );
    assert_eq!(err(b"4:1:k,}"), Error::DictMissingValue { key: "k".into() });
    assert_eq!(
        err(b"5:5:ab,]"),
        Error::ElementOverrun {
            container: "list",
            needed: 3
        }
    );
    assert_eq!(
        err(b"6:1:k,9:}"),
        Error::ElementOverrun {
            container: "dict",
            needed: 10
        }
    );
    assert_eq!(
        parse_complete(b"0:~x").unwrap_err(),
        Error::TrailingBytes { count: 1 }
    );
}

#[test]
fn long_excerpts_are_truncated() {
    let long = format!("{}:{}!", 100, "x".repeat(100));
    let Error::BadBool { text } = err(long.as_bytes()) else {
        panic!("expected BadBool");
    };
    assert!(text.len() < 40, "{text}");
    assert!(err(b"1:x*").to_string().contains("'*'"));
}
