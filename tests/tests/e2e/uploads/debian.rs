//! Debian's `examples/http_0mq/upload.py` (Mongrel2's own upload handler, Python 2) made
//! Python 3 at test time (`tests/python/upload_py3fix.py`, plus the library fix of
//! `py3fix.py`) and run through Scale0's temp-file flow: its md5 answer must match the body.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use scale0_tests::client::Conn;
use scale0_tests::gateway::{handler_config, Gateway};
use scale0_tests::python::{install_library, scripts_dir, PYTHON};
use scale0_tests::wait;

use super::side::EVENT;

/// Debian's copy of the example.
const UPLOAD_PY: &str = "/usr/share/doc/mongrel2-core/examples/http_0mq/upload.py";

/// The handler process, killed when dropped.
struct Handler(Child);

impl Drop for Handler {
    fn drop(&mut self) {
        let _already_gone = self.0.kill();
        let _reaped = self.0.wait();
    }
}

fn start_handler(dir: &Path, send: &str, recv: &str) -> Handler {
    install_library(dir).unwrap();
    let fixed = dir.join("upload.py");
    let out = Command::new(PYTHON)
        .arg(scripts_dir().join("upload_py3fix.py"))
        .args([Path::new(UPLOAD_PY), &fixed])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let child = Command::new(PYTHON)
        .arg(&fixed)
        .args([send, recv])
        .env("PYTHONPATH", dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
        .spawn()
        .unwrap();
    Handler(child)
}

/// The md5 of `data` as hex, by coreutils' `md5sum`.
fn md5_hex(data: &[u8]) -> String {
    let mut child = Command::new("md5sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Waits until the handler answers a GET, then posts 1 MB and checks upload.py's md5 answer.
fn check_upload(port: u16) {
    // The handler answers plain GETs; one answered means its PUB is joined.
    wait::until("upload.py to answer a GET", EVENT * 2, || {
        let mut conn = Conn::connect(port).ok()?;
        conn.send(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .ok()?;
        conn.read_response(Duration::from_millis(300)).ok()
    })
    .unwrap();
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    let mut client = Conn::connect(port).unwrap();
    let head = format!(
        "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        data.len()
    );
    client.send(head.as_bytes()).unwrap();
    client.send(&data).unwrap();
    let answer = client.read_response(EVENT).unwrap();
    let want = format!("UPLOAD GOOD: {}", md5_hex(&data));
    assert!(
        answer.ends_with(want.as_bytes()),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn mongrel2s_upload_example_checks_the_md5_of_a_large_upload_through_scale0() {
    let dir = tempfile::tempdir().unwrap();
    let send = format!("ipc://{}/send", dir.path().display());
    let recv = format!("ipc://{}/recv", dir.path().display());
    let store = dir.path().join("scale0.upload.XXXXXX");
    let toml = format!(
        "{}\n[upload]\ntemp_store = \"{}\"\n",
        handler_config(&send, &recv, "json", "inline_body_bytes = 1024"),
        store.display()
    );
    let gateway = Gateway::start(&toml).unwrap();
    let _handler = start_handler(dir.path(), &send, &recv);
    check_upload(gateway.port());
}

#[test]
fn the_upload_example_also_works_behind_the_broker_as_a_handler_backed_service() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| format!("ipc://{}/{name}", dir.path().display());
    let (send, recv) = (at("m2-send"), at("m2-recv"));
    let toml = format!(
        "[[listener]]\nbind = \"127.0.0.1:0\"\n\n[defaults]\ninline_body_bytes = 1024\n\n\
         [[host]]\nname = \"localhost\"\ndefault = true\n[[host.route]]\npath = \"/\"\n\
         target = \"up\"\n\n[target.up]\ntype = \"service\"\nservice = \"up\"\n\n\
         [upload]\ntemp_store = \"{}\"\n\n[broker]\nembedded = true\nworkers = \"{}\"\n\
         control = \"{}\"\n\n[[broker.handler]]\nservice = \"up\"\nsend_spec = \"{send}\"\n\
         recv_spec = \"{recv}\"\nmax_outstanding = 8\n",
        dir.path().join("scale0.upload.XXXXXX").display(),
        at("workers"),
        at("control"),
    );
    let gateway = Gateway::start(&toml).unwrap();
    let _handler = start_handler(dir.path(), &send, &recv);
    check_upload(gateway.port());
}
