//! Scale0's caps on client frames and messages and its idle timeout for held WebSockets
//! (Mongrel2 has none of them): each closes the socket and tells the handler.

use mongrel2_compat::websocket::{encode_client_frame, Opcode};
use scale0_tests::client::Conn;

use super::echo::Echo;
use super::{capture, captured_frame, gateway, open, Extra, EVENT};

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn frame(fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_client_frame(fin, opcode, MASK, payload, &mut out).unwrap();
    out
}

/// Opens a WebSocket on a gateway with `defaults`, sends `frames`, and checks the socket is
/// closed without a close frame and the handler got `messages` messages and then the notice.
fn refused(defaults: &str, frames: &[Vec<u8>], messages: usize) {
    let (gw, send, recv, _dir) = gateway(
        "json",
        Extra {
            defaults,
            ..Extra::default()
        },
    );
    let echo = Echo::start(&send, &recv, gw.port());
    let mut conn = Conn::connect(gw.port()).unwrap();
    open(
        &mut conn,
        &capture("json-07-websocket/01-client-to-m2-handshake.bin"),
    );
    for f in frames {
        conn.send(f).unwrap();
    }
    let rest = conn.read_to_eof(EVENT).unwrap();
    assert!(rest.is_empty(), "no bytes before EOF: {rest:?}");
    let frames = echo.wait_frames("handshake, messages and the notice", messages + 2);
    assert_eq!(frames.len(), messages + 2, "{frames:#?}");
    assert_eq!(
        frames.last(),
        Some(&captured_frame(
            "json-07b-websocket-unmasked-frame/07-m2-to-handler-after.bin"
        )),
        "the disconnect notice comes last"
    );
}

#[test]
fn a_frame_over_websocket_max_frame_bytes_closes_the_socket() {
    // Binary: the echo handler answers nothing, so no reply races the close.
    let ok = frame(true, Opcode::Binary, &[b'a'; 16]);
    let big = frame(true, Opcode::Binary, &[b'a'; 17]);
    refused("websocket_max_frame_bytes = 16", &[ok, big], 1);
}

#[test]
fn a_fragmented_message_over_websocket_max_message_bytes_closes_the_socket() {
    let frames = [
        frame(false, Opcode::Text, &[b'a'; 10]),
        frame(false, Opcode::Continuation, &[b'b'; 10]),
        frame(true, Opcode::Continuation, &[b'c'; 10]),
    ];
    refused("websocket_max_message_bytes = 25", &frames, 0);
}

#[test]
fn a_continuation_without_a_start_closes_the_socket() {
    refused("", &[frame(true, Opcode::Continuation, b"x")], 0);
}

#[test]
fn a_silent_websocket_is_closed_after_websocket_idle_timeout() {
    refused("websocket_idle_timeout = \"300ms\"", &[], 0);
}

#[test]
fn an_open_websocket_counts_against_max_connections() {
    let (gw, send, recv, _dir) = gateway(
        "json",
        Extra {
            listener: "max_connections = 2",
            ..Extra::default()
        },
    );
    // The echo handler's readiness probe has closed its connection by now.
    let echo = Echo::start(&send, &recv, gw.port());
    let mut held = Conn::connect(gw.port()).unwrap();
    open(
        &mut held,
        &capture("json-07-websocket/01-client-to-m2-handshake.bin"),
    );
    let refused = scale0_tests::wait::until("a second socket to be refused", EVENT, || {
        let _probe_slot = Conn::connect(gw.port()).ok()?;
        let mut third = Conn::connect(gw.port()).ok()?;
        third
            .send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .ok()?;
        let answer = third.read_to_eof(EVENT).ok()?;
        answer.starts_with(b"HTTP/1.1 503").then_some(answer)
    });
    assert!(refused.is_ok(), "{refused:?}");
    drop(held);
    echo.wait_frames("handshake and notice", 2);
}
