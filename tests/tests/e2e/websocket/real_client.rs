//! Debian's python3-websockets (a real RFC 6455 client) talking to a handler through Scale0.

use std::process::Command;

use scale0_tests::python::PYTHON;

use super::echo::Echo;
use super::{gateway, Extra};

#[test]
fn python_websockets_talks_to_a_handler_through_scale0() {
    let (gw, send, recv, _dir) = gateway("json", Extra::default());
    let echo = Echo::start(&send, &recv, gw.port());
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/websocket/client.py");
    let out = Command::new(PYTHON)
        .arg(script)
        .arg(format!("ws://127.0.0.1:{}/ws/echo", gw.port()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["echo: Hello", "echo: frag-one frag-two", "closed 1000"]
    );
    let frames = echo.wait_frames("handshake, 2 messages, close", 4);
    assert!(frames[0].contains("WEBSOCKET_HANDSHAKE"), "{frames:#?}");
    assert!(frames[2].ends_with("17:frag-one frag-two,"), "{frames:#?}");
}
