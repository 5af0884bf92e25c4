use super::*;
use crate::{json, tnetstring};

const JSON_GET: &[u8] = b"34f9ceee-cd52-4b7f-b197-88bf2f0ec378 1 /hello 217:{\"PATH\":\"/hello\",\
\"x-forwarded-for\":\"127.0.0.1\",\"accept\":\"*/*\",\"user-agent\":\"m2lab/1.0\",\"host\":\"localhost\",\
\"METHOD\":\"GET\",\"VERSION\":\"HTTP/1.1\",\"URI\":\"/hello\",\"PATTERN\":\"/\",\"URL_SCHEME\":\"http\",\
\"REMOTE_ADDR\":\"127.0.0.1\"},0:,";

const TNET_POST: &[u8] = b"34f9ceee-cd52-4b7f-b197-88bf2f0ec378 2 /form 254:11:REMOTE_ADDR,9:127.0.0.1,\
6:METHOD,4:POST,10:URL_SCHEME,4:http,7:PATTERN,1:/,3:URI,5:/form,7:VERSION,8:HTTP/1.1,4:PATH,5:/form,\
4:host,9:localhost,14:content-length,2:34,12:content-type,33:application/x-www-form-urlencoded,\
15:x-forwarded-for,9:127.0.0.1,}34:name=Zed&lang=C&msg=hello%2C+world,";

#[test]
fn json_frame_decodes_to_fields_and_reencodes_identically() {
    let request = decode(JSON_GET).unwrap();
    assert_eq!(request.sender, b"34f9ceee-cd52-4b7f-b197-88bf2f0ec378");
    assert_eq!(request.conn_id, 1);
    assert_eq!(request.path, b"/hello");
    assert_eq!(request.protocol, Protocol::Json);
    assert_eq!(request.method(), Some(&b"GET"[..]));
    assert_eq!(request.headers.get_str(b"user-agent"), Some("m2lab/1.0"));
    assert_eq!(request.headers.len(), 11);
    assert!(request.body.is_empty());
    assert!(!request.is_notice());
    assert_eq!(request.to_vec(), JSON_GET);
    assert_eq!(request.encoded_len(), JSON_GET.len());
}

#[test]
fn tnetstring_frame_decodes_to_fields_and_reencodes_identically() {
    let request = decode(TNET_POST).unwrap();
    assert_eq!(request.protocol, Protocol::Tnetstring);
    assert_eq!(request.method(), Some(&b"POST"[..]));
    assert_eq!(
        request.headers.iter().next().map(|(k, _)| k),
        Some(&b"REMOTE_ADDR"[..])
    );
    assert_eq!(request.body, b"name=Zed&lang=C&msg=hello%2C+world");
    assert_eq!(request.to_vec(), TNET_POST);
}

#[test]
fn repeated_headers_decode_as_many_in_both_protocols() {
    let json = b"S 1 /x 31:{\"cookie\":[\"a=1\",\"b=2\"],\"k\":\"\"},0:,";
    let tnet = b"S 1 /x 32:6:cookie,12:3:a=1,3:b=2,]1:k,0:,}0:,";
    for frame in [&json[..], &tnet[..]] {
        let request = decode(frame).unwrap();
        let cookie = request.headers.get(b"cookie").unwrap();
        assert_eq!(cookie.values().collect::<Vec<_>>(), [&b"a=1"[..], b"b=2"]);
        assert_eq!(cookie.first(), b"a=1");
        assert_eq!(request.to_vec(), frame);
    }
}

#[test]
fn foreign_json_escapes_decode_to_bytes() {
    let frame = b"S 1 /x 23:{ \"k\" : \"a\\u00e9\\n\\/\" },0:,";
    let request = decode(frame).unwrap();
    assert_eq!(
        request.headers.get(b"k").map(HeaderValue::first),
        Some("aé\n/".as_bytes())
    );
}

#[test]
fn malformed_frames_give_the_field_at_fault() {
    let json_err = |e| Error::Json(e);
    let cases: Vec<(&[u8], Error)> = vec![
        (b"", Error::MissingSender),
        (b" 1 /x 2:{},0:,", Error::MissingSender),
        (b"S", Error::MissingSender),
        (b"S 1x /x 2:{},0:,", Error::BadConnId { text: "1x".into() }),
        (b"S  /x 2:{},0:,", Error::BadConnId { text: "".into() }),
        (
            b"S 18446744073709551616 /x 2:{},0:,",
            Error::BadConnId {
                text: "18446744073709551616".into(),
            },
        ),
        (b"S 1", Error::BadConnId { text: "1".into() }),
        (b"S 1 /x", Error::MissingPath),
        (b"S 1  2:{},0:,", Error::MissingPath),
        (
            b"S 1 /x {},0:,",
            Error::HeadersNetstring(tnetstring::Error::BadLength { found: b'{' }),
        ),
        (b"S 1 /x 1:1#0:,", Error::HeadersType { found: "integer" }),
        (
            b"S 1 /x 1:{,0:,",
            Error::Json(json::Error::Truncated {
                context: "an object",
            }),
        ),
        (
            b"S 1 /x 7:{\"k\":1},0:,",
            Error::HeaderValueType { key: "k".into() },
        ),
        (
            b"S 1 /x 8:1:k,1:1#}0:,",
            Error::HeaderValueType { key: "k".into() },
        ),
        (
            b"S 1 /x 11:1:k,4:1:1#]}0:,",
            Error::HeaderValueType { key: "k".into() },
        ),
        (
            b"S 1 /x 2:{},",
            Error::BodyNetstring(tnetstring::Error::Incomplete { needed: 1 }),
        ),
        (b"S 1 /x 2:{},0:]", Error::BodyType { found: "list" }),
        (b"S 1 /x 2:{},0:,x", Error::TrailingBytes { count: 1 }),
        (
            b"S 1 /x 2:[],0:,",
            json_err(json::Error::Unexpected {
                expected: "'{' opening the object",
                found: b'[',
                offset: 0,
            }),
        ),
    ];
    for (frame, want) in cases {
        assert_eq!(decode(frame), Err(want), "{}", frame.escape_ascii());
    }
}

#[test]
fn caps_are_checked_before_parsing() {
    let small = Limits {
        max_frame_len: 10,
        ..Limits::default()
    };
    assert_eq!(
        decode_with(JSON_GET, &small),
        Err(Error::FrameTooLarge {
            len: JSON_GET.len(),
            max: 10
        })
    );
    let few = Limits {
        max_headers: 2,
        ..Limits::default()
    };
    assert_eq!(
        decode_with(JSON_GET, &few),
        Err(Error::TooManyHeaders { count: 11, max: 2 })
    );
    assert_eq!(
        decode_with(TNET_POST, &few),
        Err(Error::TooManyHeaders { count: 11, max: 2 })
    );
    let short = Limits {
        max_headers_len: 100,
        ..Limits::default()
    };
    assert_eq!(
        decode_with(JSON_GET, &short),
        Err(Error::HeadersNetstring(tnetstring::Error::TooLarge {
            len: 217,
            max: 100
        }))
    );
    assert!(matches!(
        decode(b"S 1 /x 10:1:k,3:0:]]}0:,"),
        Err(Error::HeadersNetstring(tnetstring::Error::TooDeep { .. }))
    ));
}

#[test]
fn notices_have_the_captured_bytes_in_both_protocols() {
    let mut out = Vec::new();
    encode_disconnect(b"S", 12, Protocol::Json, &mut out);
    assert_eq!(
        out,
        b"S 12 @* 17:{\"METHOD\":\"JSON\"},21:{\"type\":\"disconnect\"},"
    );
    out.clear();
    encode_disconnect(b"S", 1, Protocol::Tnetstring, &mut out);
    assert_eq!(
        out,
        b"S 1 @* 16:6:METHOD,4:JSON,}21:{\"type\":\"disconnect\"},"
    );
    out.clear();
    encode_credits(b"S", 1, Protocol::Json, 39, &mut out);
    assert_eq!(
        out,
        b"S 1 @* 41:{\"METHOD\":\"JSON\",\"DOWNLOAD_CREDITS\":\"39\"},18:{\"type\":\"credits\"},"
    );
    out.clear();
    encode_credits(b"S", 1, Protocol::Tnetstring, 40, &mut out);
    assert_eq!(
        out,
        b"S 1 @* 41:16:DOWNLOAD_CREDITS,2:40,6:METHOD,4:JSON,}18:{\"type\":\"credits\"},"
    );
    assert!(decode(&out).unwrap().is_notice());
}

#[test]
fn upload_pieces_carry_only_the_stream_keys() {
    let mut out = Vec::new();
    encode_upload_piece(
        b"S",
        3,
        Protocol::Json,
        b"/up",
        5,
        false,
        b" world",
        &mut out,
    );
    assert_eq!(out, b"S 3 /up 21:{\"UPLOAD_STREAM\":\"5\"},6: world,");
    out.clear();
    encode_upload_piece(b"S", 3, Protocol::Json, b"/up", 11, true, b"", &mut out);
    assert_eq!(
        out,
        b"S 3 /up 47:{\"UPLOAD_STREAM\":\"11\",\"UPLOAD_STREAM_DONE\":\"1\"},0:,"
    );
    out.clear();
    encode_upload_piece(
        b"S",
        3,
        Protocol::Tnetstring,
        b"/up",
        11,
        true,
        b"",
        &mut out,
    );
    assert_eq!(
        out,
        b"S 3 /up 48:18:UPLOAD_STREAM_DONE,1:1,13:UPLOAD_STREAM,2:11,}0:,"
    );
    assert_eq!(decode(&out).unwrap().method(), None);
}

#[test]
fn headers_into_owned_keeps_order_and_bytes() {
    let request = decode(JSON_GET).unwrap();
    let owned: Headers<'static> = request.headers.clone().into_owned();
    assert_eq!(owned, request.headers);
}
