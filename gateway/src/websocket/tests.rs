use super::*;

fn headers(lines: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in lines {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

const HANDSHAKE: [(&str, &str); 5] = [
    ("host", "localhost"),
    ("upgrade", "WebSocket"),
    ("connection", "keep-alive, Upgrade"),
    ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("sec-websocket-version", "13"),
];

#[test]
fn a_complete_handshake_is_detected_whatever_the_case() {
    assert!(is_handshake(&headers(&HANDSHAKE)));
}

#[test]
fn any_missing_part_makes_an_ordinary_request_as_in_mongrel2() {
    for skip in 0..HANDSHAKE.len() {
        let partial: Vec<_> = HANDSHAKE
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, h)| *h)
            .collect();
        assert!(!is_handshake(&headers(&partial)), "without {:?}", HANDSHAKE[skip]);
    }
    let mut other = HANDSHAKE;
    other[1] = ("upgrade", "h2c");
    assert!(!is_handshake(&headers(&other)), "Upgrade must be websocket");
    other = HANDSHAKE;
    other[2] = ("connection", "keep-alive");
    assert!(!is_handshake(&headers(&other)), "Connection must name upgrade");
}

#[test]
fn the_101_keeps_the_handlers_headers_and_carries_the_leftover() {
    let head = ResponseHead {
        version: http::Version::HTTP_11,
        status: StatusCode::SWITCHING_PROTOCOLS,
        reason: Bytes::from_static(b"Switching Protocols"),
        headers: headers(&[
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            ("content-length", "0"),
        ]),
    };
    let mut response = switching(head, Bytes::from_static(b"\x81\x02hi"));
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    let h = response.headers();
    assert_eq!(h["upgrade"], "websocket");
    assert_eq!(h["connection"], "Upgrade");
    assert_eq!(h["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert!(!h.contains_key("content-length"));
    let leftover = response.extensions_mut().remove::<Leftover>().unwrap();
    assert_eq!(&leftover.0[..], b"\x81\x02hi");
}
