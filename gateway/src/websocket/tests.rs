use super::*;
use crate::config::RouteSettings;

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
    for (skip, missing) in HANDSHAKE.iter().enumerate() {
        let partial: Vec<_> = HANDSHAKE
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, h)| *h)
            .collect();
        assert!(!is_handshake(&headers(&partial)), "without {missing:?}");
    }
    let mut other = HANDSHAKE;
    other[1] = ("upgrade", "h2c");
    assert!(!is_handshake(&headers(&other)), "Upgrade must be websocket");
    other = HANDSHAKE;
    other[2] = ("connection", "keep-alive");
    assert!(
        !is_handshake(&headers(&other)),
        "Connection must name upgrade"
    );
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

fn route_settings(defaults: &str, route: &str) -> RouteSettings {
    let text = format!(
        r#"[[listener]]
bind = "127.0.0.1:0"
[defaults]
{defaults}
[[host]]
name = "localhost"
  [[host.route]]
  path = "/"
  target = "app"
  {route}
[target.app]
type = "handler"
send_spec = "tcp://127.0.0.1:9997"
recv_spec = "tcp://127.0.0.1:9996"
"#
    );
    let config = crate::config::Config::from_toml_str(&text).unwrap();
    config.hosts[0].routes[0].settings
}

#[test]
fn limits_default_to_the_named_constants() {
    use crate::config::limits::*;
    let limits = Limits::from_settings(&route_settings("", ""));
    assert_eq!(
        limits,
        Limits {
            max_frame_bytes: DEFAULT_WEBSOCKET_MAX_FRAME_BYTES as usize,
            max_message_bytes: DEFAULT_WEBSOCKET_MAX_MESSAGE_BYTES as usize,
            idle_timeout: DEFAULT_WEBSOCKET_IDLE_TIMEOUT,
            send_timeout: DEFAULT_REPLY_TIMEOUT,
        }
    );
}

#[test]
fn routes_override_the_defaults_and_caps_are_enforced() {
    let settings = route_settings(
        "websocket_max_frame_bytes = \"4KiB\"\nwebsocket_idle_timeout = \"5s\"",
        "websocket_max_message_bytes = 65536",
    );
    let limits = Limits::from_settings(&settings);
    assert_eq!(limits.max_frame_bytes, 4096);
    assert_eq!(limits.max_message_bytes, 65536);
    assert_eq!(limits.idle_timeout, std::time::Duration::from_secs(5));
    let text = |v: &str| {
        format!(
            "[[listener]]\nbind = \"127.0.0.1:0\"\n[defaults]\nwebsocket_max_message_bytes = {v}\n\
             [[host]]\nname = \"h\"\n[[host.route]]\npath = \"/\"\ntarget = \"a\"\n\
             [target.a]\ntype = \"handler\"\nsend_spec = \"tcp://127.0.0.1:1\"\nrecv_spec = \"tcp://127.0.0.1:2\"\n"
        )
    };
    assert!(crate::config::Config::from_toml_str(&text("\"65MiB\"")).is_err());
    assert!(crate::config::Config::from_toml_str(&text("\"64MiB\"")).is_ok());
}

#[test]
fn only_ends_the_handler_did_not_cause_send_a_notice() {
    use session::End;
    for end in [
        End::ClientGone,
        End::Protocol(mongrel2_compat::websocket::Error::Unmasked),
        End::Idle,
        End::Undelivered,
        End::Shutdown,
    ] {
        assert!(end.notifies(), "{end:?}");
    }
    assert!(!End::HandlerClosed.notifies());
    assert!(!End::Dropped.notifies());
}
