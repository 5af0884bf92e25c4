//! WebSockets through a `service` target: every client message is a request of its own to the
//! broker, answered by the native `ws-echo-worker` (which sends DONE after each).

use std::process::Command;

use scale0_tests::client::Conn;
use scale0_tests::gateway::Gateway;
use scale0_tests::procs::{binary, Endpoints, Worker};

use super::{capture, expect_bytes, open, EVENT};

fn config(endpoints: &Endpoints) -> String {
    format!(
        r#"[[listener]]
bind = "127.0.0.1:0"

[[host]]
name = "localhost"
default = true
  [[host.route]]
  path = "/"
  target = "ws"

[target.ws]
type = "service"
service = "ws"

[broker]
embedded = true
workers = "{}"
control = "{}"
"#,
        endpoints.workers, endpoints.control
    )
}

#[test]
fn a_native_worker_echoes_websocket_messages_behind_the_broker() {
    let dir = tempfile::tempdir().unwrap();
    let endpoints = Endpoints::ipc(dir.path());
    let gateway = Gateway::start(&config(&endpoints)).unwrap();
    let mut command = Command::new(binary("ws-echo-worker").unwrap());
    command.args(["--broker", &endpoints.workers, "--service", "ws"]);
    let worker = Worker::start("ws-echo", command, &endpoints.control, None, dir.path()).unwrap();

    let mut conn = Conn::connect(gateway.port()).unwrap();
    open(
        &mut conn,
        &capture("json-07-websocket/01-client-to-m2-handshake.bin"),
    );
    conn.send(&capture(
        "json-07-websocket/05-client-to-m2-text-frame-Hello.bin",
    ))
    .unwrap();
    expect_bytes(&mut conn, b"\x81\x0becho: Hello", "the echo");
    conn.send(&capture("json-07-websocket/11-client-to-m2-ping-frame.bin"))
        .unwrap();
    expect_bytes(&mut conn, b"\x8a\x03png", "the pong");
    conn.send(&capture(
        "json-07-websocket/13-client-to-m2-fragmented-text.bin",
    ))
    .unwrap();
    expect_bytes(
        &mut conn,
        b"\x81\x17echo: frag-one frag-two",
        "the reassembled message echoed",
    );
    conn.send(&capture(
        "json-07-websocket/15-client-to-m2-close-frame.bin",
    ))
    .unwrap();
    let rest = conn.read_to_eof(EVENT).unwrap();
    assert_eq!(
        rest,
        b"\x88\x02\x03\xe8",
        "close frame then EOF; {}",
        worker.logs()
    );
}
