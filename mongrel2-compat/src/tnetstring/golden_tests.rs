//! Golden vectors: frames captured from Mongrel2 1.12.2 and the format of the Python library it
//! ships (`examples/python/mongrel2/tnetstrings.py`).

use super::*;

const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/mongrel2-captures");

/// Request frames Mongrel2 pushed to a `protocol='tnetstring'` handler.
const TNET_REQUEST_FRAMES: &[&str] = &[
    "tnet-02-get-query-repeated-headers/02-m2-to-handler.bin",
    "tnet-02-get-query-repeated-headers/05-m2-to-handler-after-client-close.bin",
    "tnet-03-post-small-body/02-m2-to-handler-req1.bin",
    "tnet-03-post-small-body/06-m2-to-handler-req2.bin",
    "tnet-03-post-small-body/09-m2-to-handler-after-client-close.bin",
    "tnet-04-post-large-upload/02-m2-to-handler-upload-start.bin",
    "tnet-04-post-large-upload/03-m2-to-handler-upload-done.bin",
    "tnet-07-websocket/02-m2-to-handler-handshake.bin",
    "tnet-07-websocket/06-m2-to-handler-text.bin",
    "tnet-10-json-socket/02-m2-to-handler.bin",
    "flow-04-download-credits-tnetstring/02-m2-to-handler.bin",
    "flow-04-download-credits-tnetstring/05-m2-to-handler-credits-notice.bin",
];

fn capture(name: &str) -> Vec<u8> {
    let path = format!("{CAPTURES}/{name}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The part of `SENDER ID PATH HEADERS BODY` after the third space.
fn after_path(frame: &[u8]) -> &[u8] {
    frame.splitn(4, |&b| b == b' ').nth(3).unwrap()
}

#[test]
fn captured_post_headers_parse_and_reencode_byte_identically() {
    let frame = capture("tnet-03-post-small-body/02-m2-to-handler-req1.bin");
    let (headers, body) = parse(after_path(&frame)).unwrap();
    let headers_len = after_path(&frame).len() - body.len();
    assert_eq!(headers.to_vec(), &after_path(&frame)[..headers_len]);
    assert_eq!(headers.get(b"METHOD"), Some(&Value::Str(b"POST")));
    assert_eq!(headers.get(b"content-length"), Some(&Value::Str(b"34")));
    let keys: Vec<&[u8]> = headers.as_dict().unwrap().iter().map(|(k, _)| *k).collect();
    assert_eq!(&keys[..3], [&b"REMOTE_ADDR"[..], b"METHOD", b"URL_SCHEME"]);
    assert_eq!(
        parse_complete(body).unwrap().as_bytes(),
        Some(&b"name=Zed&lang=C&msg=hello%2C+world"[..])
    );
}

#[test]
fn every_captured_tnetstring_request_round_trips() {
    for name in TNET_REQUEST_FRAMES {
        let frame = capture(name);
        let rest = after_path(&frame);
        let (headers, body) = parse(rest).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(headers.to_vec(), &rest[..rest.len() - body.len()], "{name}");
        assert!(headers.get(b"METHOD").is_some(), "{name}");
        let body = parse_complete(body).unwrap_or_else(|e| panic!("{name} body: {e}"));
        assert!(body.as_bytes().is_some(), "{name}");
    }
}

#[test]
fn captured_repeated_headers_are_lists_of_strings() {
    let frame = capture("tnet-02-get-query-repeated-headers/02-m2-to-handler.bin");
    let (headers, _) = parse(after_path(&frame)).unwrap();
    let lists: Vec<&Value<'_>> = headers
        .as_dict()
        .unwrap()
        .iter()
        .map(|(_, v)| v)
        .filter(|v| v.as_list().is_some())
        .collect();
    assert!(!lists.is_empty());
    for list in lists {
        assert!(list
            .as_list()
            .unwrap()
            .iter()
            .all(|v| v.as_bytes().is_some()));
    }
}

#[test]
fn captured_handler_credit_messages_parse_and_reencode() {
    for (name, credits) in [
        (
            "flow-02-upload-stream/04-handler-to-m2-credits-1500.bin",
            1500,
        ),
        (
            "flow-03-upload-stream-chunked/03-handler-to-m2-credits-100.bin",
            100,
        ),
    ] {
        let frame = capture(name);
        let message = after_path(&frame);
        let value = parse_complete(message).unwrap();
        let items = value.as_list().unwrap();
        assert_eq!(items[0], Value::Str(b"ctl"));
        assert_eq!(
            items[1].get(b"credits").and_then(Value::as_int),
            Some(credits)
        );
        assert_eq!(value.to_vec(), message);
    }
}

/// What `dump()` in Mongrel2's Python `tnetstrings.py` writes for each type: we read all of it,
/// and write the same bytes for everything but floats (Python writes `'%f' % x`, we write the
/// shortest round-trip text, which its `parse()` reads back with `float()`).
#[test]
fn python_library_output_is_read_and_written_alike() {
    let python_dumps: [(&[u8], Value<'_>); 7] = [
        (b"5:hello,", Value::Str(b"hello")),
        (b"2:-3#", Value::Int(-3)),
        (b"4:true!", Value::Bool(true)),
        (b"5:false!", Value::Bool(false)),
        (b"0:~", Value::Null),
        (
            b"8:1:1#1:a,]",
            Value::List(vec![Value::Int(1), Value::Str(b"a")]),
        ),
        (
            b"14:1:k,7:4:true!]}",
            Value::Dict(vec![(&b"k"[..], Value::List(vec![Value::Bool(true)]))]),
        ),
    ];
    for (bytes, value) in python_dumps {
        assert_eq!(parse_complete(bytes).unwrap(), value);
        assert_eq!(value.to_vec(), bytes);
    }
    assert_eq!(parse_complete(b"8:1.500000^").unwrap(), Value::Float(1.5));
    assert_eq!(
        parse_complete(b"9:-0.250000^").unwrap(),
        Value::Float(-0.25)
    );
    for (value, ours) in [(1.5, &b"3:1.5^"[..]), (1e300, b"5:1e300^")] {
        assert_eq!(Value::Float(value).to_vec(), ours);
    }
}
