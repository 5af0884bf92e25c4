//! The captured WebSocket conversations replayed through Mongrel2 and through Scale0: the same
//! handler gets the same frames (and the captured ones), the clients the same bytes.

use scale0_tests::client::Conn;
use scale0_tests::mongrel2::{Mongrel2, Options};

use super::echo::Echo;
use super::{capture, captured_frame, expect_bytes, gateway, open, Extra, EVENT, QUIET};

/// Mongrel2 with `protocol`, routes `/` and `@chat` to its handler.
fn mongrel2(protocol: &str) -> Mongrel2 {
    Mongrel2::start(Options {
        protocol: protocol.into(),
        handler_routes: vec!["@chat".into()],
        ..Options::default()
    })
    .unwrap()
}

/// Both servers, each with an echo handler: [(name, port, handler)], servers kept alive.
struct Sides {
    sides: Vec<(&'static str, u16, Echo)>,
    _servers: (Mongrel2, scale0_tests::gateway::Gateway, tempfile::TempDir),
}

fn sides(protocol: &str) -> Sides {
    let m2 = mongrel2(protocol);
    let (gw, send, recv, dir) = gateway(protocol, Extra::default());
    let sides = vec![
        (
            "Mongrel2",
            m2.http_port,
            Echo::start(&m2.send_spec, &m2.recv_spec, m2.http_port),
        ),
        ("Scale0", gw.port(), Echo::start(&send, &recv, gw.port())),
    ];
    Sides {
        sides,
        _servers: (m2, gw, dir),
    }
}

/// Text, binary, ping, fragmented text and close frames of `dir` (json-07 or tnet-07 client
/// bytes), the handler echoing the text and answering the close.
fn conversation(port: u16, dir: &str) {
    let mut conn = Conn::connect(port).unwrap();
    open(
        &mut conn,
        &capture(&format!("{dir}/01-client-to-m2-handshake.bin")),
    );
    conn.send(&capture(&format!(
        "{dir}/05-client-to-m2-text-frame-Hello.bin"
    )))
    .unwrap();
    expect_bytes(&mut conn, b"\x81\x0becho: Hello", "the echoed text frame");
    for frames in [
        "json-07-websocket/09-client-to-m2-binary-frame.bin",
        "json-07-websocket/11-client-to-m2-ping-frame.bin",
        "json-07-websocket/13-client-to-m2-fragmented-text.bin",
        "json-07-websocket/15-client-to-m2-close-frame.bin",
    ] {
        conn.send(&capture(frames)).unwrap();
    }
    let rest = conn.read_to_eof(EVENT).unwrap();
    let echoed = b"\x81\x17echo: frag-one frag-two";
    let closing = capture("json-07-websocket/19-m2-to-client-after-close-then-EOF.bin");
    assert_eq!(
        rest,
        [&echoed[..], &closing].concat(),
        "echo, close frame, EOF"
    );
}

#[test]
fn websocket_frames_reach_the_handler_as_mongrel2_sends_them() {
    let both = sides("json");
    let want: Vec<String> = [
        "02-m2-to-handler-handshake.bin",
        "06-m2-to-handler-text.bin",
        "10-m2-to-handler-binary.bin",
        "12-m2-to-handler-ping.bin",
        "14-m2-to-handler-fragmented.bin",
        "16-m2-to-handler-close.bin",
    ]
    .iter()
    .map(|f| captured_frame(&format!("json-07-websocket/{f}")))
    .collect();
    for (name, port, echo) in &both.sides {
        conversation(*port, "json-07-websocket");
        let got = echo.wait_frames(name, want.len());
        assert_eq!(got, want, "{name}: handler frames");
        std::thread::sleep(QUIET);
        assert_eq!(
            echo.frames().len(),
            want.len(),
            "{name}: no disconnect notice after the handler closed"
        );
    }
}

#[test]
fn tnetstring_handlers_get_the_same_websocket_frames_from_both() {
    let both = sides("tnetstring");
    let captured = [
        captured_frame("tnet-07-websocket/02-m2-to-handler-handshake.bin"),
        captured_frame("tnet-07-websocket/06-m2-to-handler-text.bin"),
    ];
    let mut seen = Vec::new();
    for (name, port, echo) in &both.sides {
        conversation(*port, "tnet-07-websocket");
        let got = echo.wait_frames(name, 6);
        assert_eq!(got[..2], captured, "{name}: handshake and text frames");
        seen.push(got);
    }
    assert_eq!(seen[0], seen[1], "Mongrel2 and Scale0 frames");
}

#[test]
fn an_unmasked_client_frame_closes_the_socket_and_notifies_the_handler() {
    let both = sides("json");
    let want = [
        captured_frame("json-07b-websocket-unmasked-frame/02-m2-to-handler-handshake.bin"),
        captured_frame("json-07b-websocket-unmasked-frame/07-m2-to-handler-after.bin"),
    ];
    for (name, port, echo) in &both.sides {
        let mut conn = Conn::connect(*port).unwrap();
        let handshake = capture("json-07b-websocket-unmasked-frame/01-client-to-m2-handshake.bin");
        open(&mut conn, &handshake);
        conn.send(b"\x81\x03abc").unwrap();
        let rest = conn.read_to_eof(EVENT).unwrap();
        assert!(
            rest.is_empty(),
            "{name}: no close frame, just EOF: {rest:?}"
        );
        assert_eq!(echo.wait_frames(name, 2), want, "{name}: handler frames");
    }
}
