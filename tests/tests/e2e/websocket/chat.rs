//! Mongrel2's chat demo (Debian's `examples/chat/chat.py`, Python 2) over the `@chat` JSON
//! socket: made Python 3 at test time by a few textual fixes, run unchanged otherwise on
//! Mongrel2's own handler library, and driven by two clients (join, message, leave). Both
//! servers must give both clients the same bytes.

use std::path::Path;

use base64::Engine as _;
use scale0_tests::client::Conn;
use scale0_tests::mongrel2::{Mongrel2, Options};

use super::{expect_bytes, gateway, Extra, EVENT};
use scale0_tests::python::PyApp;

/// How long a probe join waits for the user list (Mongrel2 stalls 100 ms after the demo's
/// unparsable broadcast to nobody, `0:,`).
const PROBE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

const CHAT_PY: &str = "/usr/share/doc/mongrel2-core/examples/chat/chat.py";

/// Python 2 → 3 fixes (each must apply exactly once) and the demo's fixed endpoints replaced.
fn fixes<'a>(send: &'a str, recv: &'a str) -> [(&'static str, &'a str); 7] {
    [
        ("import simplejson as json", "import json"),
        ("print \"FAILED RECV JSON\"", "print(\"FAILED RECV JSON\")"),
        (
            "print \"DATA\", data, req.conn_id",
            "print(\"DATA\", data, req.conn_id)",
        ),
        (
            "print \"DISCONNECTED\", req.conn_id",
            "print(\"DISCONNECTED\", req.conn_id, flush=True)",
        ),
        (
            "print \"REGISTERED USERS:\", len(users)",
            "print(\"REGISTERED USERS:\", len(users), flush=True)",
        ),
        ("\"tcp://127.0.0.1:9999\"", send),
        ("\"tcp://127.0.0.1:9998\"", recv),
    ]
}

/// The chat demo against one server's `send_spec`/`recv_spec`.
fn start_chat(send_spec: &str, recv_spec: &str) -> PyApp {
    let (send, recv) = (format!("\"{send_spec}\""), format!("\"{recv_spec}\""));
    PyApp::start(Path::new(CHAT_PY), &[], &fixes(&send, &recv)).unwrap()
}

/// What a client gets for one JSON message: Mongrel2's base64 of Python's `json.dumps`.
fn b64(json: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .encode(json)
        .into_bytes()
}

/// Joins `user` on a new socket and reads the user list it is sent.
fn join(port: u16, user: &str, list: &str) -> Conn {
    let mut conn = Conn::connect(port).unwrap();
    let join = format!("@chat {{\"type\": \"join\", \"user\": \"{user}\"}}\0");
    conn.send(join.as_bytes()).unwrap();
    let want = format!("{{\"type\": \"userList\", \"users\": [{list}]}}");
    expect_bytes(&mut conn, &b64(&want), &format!("{user}'s user list"));
    conn
}

/// A probe user joins until the demo answers (its replies may be lost while its PUB socket
/// joins), then leaves; the demo forgets it before the story starts.
fn wait_ready(port: u16, chat: &PyApp) {
    scale0_tests::wait::until("chat.py to answer a join", EVENT * 2, || {
        let mut probe = Conn::connect(port).ok()?;
        probe
            .send(b"@chat {\"type\": \"join\", \"user\": \"probe\"}\0")
            .ok()?;
        let got = probe.read_until(PROBE_WAIT, |b| !b.is_empty());
        drop(probe);
        chat.expect("DISCONNECTED").unwrap();
        got.ok().filter(|b| !b.is_empty())
    })
    .unwrap();
}

fn story(port: u16, chat: &PyApp) {
    wait_ready(port, chat);
    let mut alice = join(port, "alice", "\"alice\"");
    let mut bob = join(port, "bob", "\"alice\", \"bob\"");
    expect_bytes(
        &mut alice,
        &b64("{\"type\": \"join\", \"user\": \"bob\"}"),
        "alice sees bob join",
    );
    let msg = "{\"type\": \"msg\", \"user\": \"alice\", \"msg\": \"hi\"}";
    alice.send(format!("@chat {msg}\0").as_bytes()).unwrap();
    expect_bytes(&mut alice, &b64(msg), "alice's message back to her");
    expect_bytes(&mut bob, &b64(msg), "alice's message to bob");
    drop(bob);
    expect_bytes(
        &mut alice,
        &b64("{\"type\": \"disconnect\", \"user\": \"bob\"}"),
        "alice sees bob leave",
    );
}

#[test]
fn mongrel2s_chat_demo_runs_unchanged_on_both_servers() {
    let m2 = Mongrel2::start(Options {
        handler_routes: vec!["@chat".into()],
        ..Options::default()
    })
    .unwrap();
    let chat = start_chat(&m2.send_spec, &m2.recv_spec);
    story(m2.http_port, &chat);
    drop(chat);

    let (gw, send, recv, _dir) = gateway("json", Extra::default());
    let chat = start_chat(&send, &recv);
    story(gw.port(), &chat);
}
