//! Debian's python3-websockets (a real RFC 6455 client) talking to a handler through Scale0.

use std::process::Command;

use scale0_tests::python::PYTHON;

use super::echo::Echo;
use super::{gateway, Extra, EVENT};

/// Runs `client.py` against port `port` (with `--all` when `everything`) until it has printed
/// its lines, retrying while the handler's replies may still be lost to the ZeroMQ slow joiner.
/// `logs` names the handler's state on failure.
pub(super) fn run_client(port: u16, everything: bool, logs: impl Fn() -> String) -> Vec<String> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/websocket/client.py");
    let mut last = String::new();
    let got = scale0_tests::wait::until("the WebSocket client to finish", EVENT * 3, || {
        let mut command = Command::new(PYTHON);
        command
            .arg(&script)
            .arg(format!("ws://127.0.0.1:{port}/ws/echo"));
        if everything {
            command.arg("--all");
        }
        let out = command.output().ok()?;
        last = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out.status.success().then(|| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
    });
    got.unwrap_or_else(|e| panic!("{e}: {last}; {}", logs()))
}

#[test]
fn python_websockets_talks_to_a_handler_through_scale0() {
    let (gw, send, recv, _dir) = gateway("json", Extra::default());
    let echo = Echo::start(&send, &recv, gw.port());
    let lines = run_client(gw.port(), false, String::new);
    assert_eq!(
        lines,
        ["echo: Hello", "echo: frag-one frag-two", "closed 1000"]
    );
    let frames = echo.wait_frames("handshake, 2 messages, close", 4);
    assert!(frames[0].contains("WEBSOCKET_HANDSHAKE"), "{frames:#?}");
    assert!(frames[2].ends_with("17:frag-one frag-two,"), "{frames:#?}");
}
