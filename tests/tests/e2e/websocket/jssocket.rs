//! The `@chat` JSON socket of the `json-10` capture through Mongrel2 and Scale0: the same handler
//! frames, base64 replies, pings kept from the handler, the Flash policy answered by the server.

use scale0_tests::client::Conn;

use super::echo::Echo;
use super::{capture, captured_frame, expect_bytes, gateway, Extra, EVENT, QUIET};

const DIR: &str = "json-10-json-xml-socket";

fn join_ping_msg_leave(name: &str, port: u16, echo: &Echo) {
    let mut conn = Conn::connect(port).unwrap();
    conn.send(&capture(&format!("{DIR}/01-client-to-m2-join.bin")))
        .unwrap();
    let reply = capture(&format!("{DIR}/04-m2-to-client-json-reply.bin"));
    expect_bytes(&mut conn, &reply, &format!("{name}: base64 reply"));
    conn.send(&capture(&format!("{DIR}/05-client-to-m2-ping.bin")))
        .unwrap();
    conn.send(&capture(&format!("{DIR}/06-client-to-m2-msg2.bin")))
        .unwrap();
    echo.wait_frames(name, 2);
    drop(conn);
    let want = [
        captured_frame(&format!("{DIR}/02-m2-to-handler-join.bin")),
        captured_frame(&format!("{DIR}/07-m2-to-handler-msg2.bin")),
        captured_frame(&format!("{DIR}/08-m2-to-handler-after-close.bin")),
    ];
    assert_eq!(
        echo.wait_frames(name, 3),
        want,
        "{name}: handler frames (no ping)"
    );
}

#[test]
fn a_json_socket_talks_to_its_handler_as_through_mongrel2() {
    let m2 = scale0_tests::mongrel2::Mongrel2::start(scale0_tests::mongrel2::Options {
        handler_routes: vec!["@chat".into()],
        ..Default::default()
    })
    .unwrap();
    let (gw, send, recv, _dir) = gateway("json", Extra::default());
    let sides = [
        (
            "Mongrel2",
            m2.http_port,
            Echo::start(&m2.send_spec, &m2.recv_spec, m2.http_port),
        ),
        ("Scale0", gw.port(), Echo::start(&send, &recv, gw.port())),
    ];
    for (name, port, echo) in &sides {
        join_ping_msg_leave(name, *port, echo);
        let mut policy = Conn::connect(*port).unwrap();
        policy
            .send(&capture(&format!("{DIR}/09-client-to-m2-policy.bin")))
            .unwrap();
        let answer = policy.read_to_eof(EVENT).unwrap();
        let want = capture(&format!("{DIR}/10-m2-to-client-policy-then-EOF.bin"));
        assert_eq!(answer, want, "{name}: policy then close");
        std::thread::sleep(QUIET);
        assert_eq!(
            echo.frames().len(),
            3,
            "{name}: the policy request reaches no handler"
        );
    }
}

#[test]
fn raw_payload_handlers_reach_json_sockets_unencoded() {
    let (gw, send, recv, _dir) = gateway(
        "json",
        Extra {
            handler: "raw_payload = true",
            ..Extra::default()
        },
    );
    let echo = Echo::start(&send, &recv, gw.port());
    let mut conn = Conn::connect(gw.port()).unwrap();
    conn.send(&capture(
        "misc-05-raw-payload-json-socket/01-client-to-m2.bin",
    ))
    .unwrap();
    expect_bytes(&mut conn, br#"{"type":"hello","n":1}"#, "raw reply");
    assert_eq!(
        echo.wait_frames("the join", 1),
        [captured_frame(
            "misc-05-raw-payload-json-socket/02-m2-to-handler.bin"
        )]
    );
}

#[test]
fn tnetstring_handlers_get_json_socket_messages_as_captured() {
    let (gw, send, recv, _dir) = gateway("tnetstring", Extra::default());
    let echo = Echo::start(&send, &recv, gw.port());
    let mut conn = Conn::connect(gw.port()).unwrap();
    conn.send(&capture("tnet-10-json-socket/01-client-to-m2.bin"))
        .unwrap();
    // The reply read before the client leaves: one arriving after the close would earn a second
    // notice (Mongrel2 sends one for every reply to a gone id).
    let reply = capture(&format!("{DIR}/04-m2-to-client-json-reply.bin"));
    expect_bytes(&mut conn, &reply, "the base64 reply");
    echo.wait_frames("the join", 1);
    drop(conn);
    let want = [
        captured_frame("tnet-10-json-socket/02-m2-to-handler.bin"),
        captured_frame("tnet-10-json-socket/03-m2-to-handler-after-client-close.bin"),
    ];
    assert_eq!(echo.wait_frames("join and notice", 2), want);
}

#[test]
fn a_json_socket_is_recognised_after_a_proxy_protocol_header() {
    let (gw, send, recv, _dir) = gateway(
        "json",
        Extra {
            gateway: "trusted_proxies = [\"127.0.0.1\"]",
            listener: "proxy_protocol = true",
            ..Extra::default()
        },
    );
    let proxy = b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\n";
    let echo = Echo::start_behind(&send, &recv, gw.port(), proxy);
    let mut conn = Conn::connect(gw.port()).unwrap();
    let join = capture("misc-05-raw-payload-json-socket/01-client-to-m2.bin");
    conn.send(&[&proxy[..], &join].concat()).unwrap();
    expect_bytes(
        &mut conn,
        &capture(&format!("{DIR}/04-m2-to-client-json-reply.bin")),
        "the base64 reply",
    );
    let frames = echo.wait_frames("the join", 1);
    let join = &frames[0];
    assert!(
        join.starts_with("SENDER CONN @chat ")
            && join.contains(r#"\"REMOTE_ADDR\":\"192.0.2.7\""#)
            && join.contains(r#"\"METHOD\":\"JSON\""#),
        "the trusted proxy's client address: {join}"
    );
}
