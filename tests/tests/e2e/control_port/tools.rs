//! Operator tools on Scale0's control port: Mongrel2's own `m2sh control`
//! (reading the port from a config database made with `m2sh load`),
//! Mongrel2's Python `ControlPort`, `terminate`, which must not wait out the
//! drain that `stop` grants, and `control_stop`, which closes only the
//! control port.

use std::io::Write;
use std::process::{Command, Stdio};

use scale0_tests::client::Conn;
use scale0_tests::gateway::Gateway;
use scale0_tests::mongrel2::DEFAULT_SEND_IDENT;
use scale0_tests::recorder::{Closing, Frame, Recorder};
use scale0_tests::wait;

use super::{scale0_config, Side, EVENT, REQUEST};

#[test]
fn m2sh_control_drives_scale0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("run")).unwrap();
    let control = format!("ipc://{}/run/control", dir.path().display());
    let gateway = Gateway::start(&scale0_config(dir.path(), &control)).unwrap();
    let conf = format!(
        r#"main = Server(uuid="{DEFAULT_SEND_IDENT}", access_log="/access.log",
    error_log="/error.log", chroot="{chroot}", pid_file="/run/pid", default_host="localhost",
    name="scale0", bind_addr="127.0.0.1", port={port},
    hosts=[Host(name="localhost", routes={{'/': Dir(base='static/', index_file='index.html',
        default_ctype='text/plain')}})])
servers = [main]
"#,
        chroot = dir.path().display(),
        port = gateway.port(),
    );
    std::fs::write(dir.path().join("m2.conf"), conf).unwrap();
    let load = Command::new("m2sh")
        .args(["load", "-config", "m2.conf", "-db", "config.sqlite"])
        .current_dir(dir.path())
        .env("LOGNAME", "root")
        .output()
        .unwrap();
    assert!(load.status.success(), "m2sh load: {load:?}");

    let mut m2sh = Command::new("m2sh")
        .args(["control", "-every", "-db", "config.sqlite"])
        .current_dir(dir.path())
        // m2sh keeps its command history in $HOME/.m2sh.
        .env("HOME", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = m2sh.stdin.take().unwrap();
    // No connection is open, so `status` prints a table (one row would print as a map).
    stdin
        .write_all(b"help\nstatus what=net\nuuid\nkill id=424242\nstop\n")
        .unwrap();
    drop(stdin);
    let finished = wait::until("m2sh control to finish", EVENT, || {
        m2sh.try_wait().unwrap().map(|_| ())
    });
    if finished.is_err() {
        m2sh.kill().unwrap();
    }
    let output = m2sh.wait_with_output().unwrap();
    finished.unwrap_or_else(|e| panic!("{e}: {output:?}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in [
        "stop the server (SIGINT)",
        "id  fd  type  last_ping  last_read  last_write  bytes_read  bytes_written",
        &format!("uuid:  {DEFAULT_SEND_IDENT}"),
        "ERROR: Invalid argument type.",
        "msg:  signal sent to server",
    ] {
        assert!(
            stdout.contains(line),
            "m2sh printed {stdout:?}, not {line:?}"
        );
    }
    wait::until("Scale0 to stop after m2sh's stop", EVENT, || {
        (!wait::port_open(gateway.port())).then_some(())
    })
    .unwrap();
}

#[test]
fn terminate_stops_at_once_without_draining_in_flight_requests() {
    let dir = tempfile::tempdir().unwrap();
    let control = format!("ipc://{}/control", dir.path().display());
    let config = scale0_config(dir.path(), &control).replacen(
        "[gateway]\n",
        "[gateway]\nshutdown_grace = \"60s\"\n",
        1,
    );
    let gateway = Gateway::start(&config).unwrap();
    let at = |name: &str| format!("ipc://{}/{name}", dir.path().display());
    let side = Side {
        name: "Scale0",
        port: gateway.port(),
        control,
        recorder: Recorder::start(&at("send"), &at("recv"), Closing::Never).unwrap(),
    };
    side.wait_ready();
    side.recorder.hold(true);
    let mut conn = Conn::connect(side.port).unwrap();
    conn.send(REQUEST).unwrap();
    let arrived = |frames: &[Frame]| {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        frames
            .iter()
            .any(|f| text(&f.bytes).contains(" /control-story "))
    };
    side.recorder
        .wait_until("the request to reach the handler", EVENT, arrived)
        .unwrap();
    assert_eq!(
        side.ask(b"15:9:terminate,0:}]"),
        b"59:7:headers,6:3:msg,]4:rows,29:25:21:signal sent to server,]]}"
    );
    assert!(
        conn.closed_within(EVENT).unwrap(),
        "the unanswered request was kept open: terminate must not wait out the 60 s grace"
    );
    assert!(!wait::port_open(side.port));
}

#[test]
fn control_stop_closes_the_port_and_the_gateway_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let control = format!("ipc://{}/control", dir.path().display());
    let gateway = Gateway::start(&scale0_config(dir.path(), &control)).unwrap();
    let at = |name: &str| format!("ipc://{}/{name}", dir.path().display());
    let side = Side {
        name: "Scale0",
        port: gateway.port(),
        control,
        recorder: Recorder::start(&at("send"), &at("recv"), Closing::Never).unwrap(),
    };
    side.wait_ready();
    assert_eq!(
        side.ask(b"19:12:control_stop,0:}]"),
        b"63:7:headers,6:3:msg,]4:rows,33:29:25:stopping the control port,]]}"
    );
    let (_conn, _id, _len) = side.live_connection();
    assert!(wait::port_open(side.port));
}

/// Mongrel2's Python `ControlPort` (Debian's `mongrel2/control.py`, made
/// Python 3 here by encoding what it sends and decoding what it receives as
/// latin-1, as `tests/python/py3fix.py` does for the rest of the library).
const PY_DRIVER: &str = r#"
import sys
from mongrel2.control import ControlPort
port = ControlPort(sys.argv[1])
print(port.request('uuid'))
print(port.request('status', what='net'))
print(port.request('kill', id=424242))
"#;

#[test]
fn mongrel2_python_control_port_talks_to_scale0() {
    use scale0_tests::python;
    let dir = tempfile::tempdir().unwrap();
    let control = format!("ipc://{}/control", dir.path().display());
    let _gateway = Gateway::start(&scale0_config(dir.path(), &control)).unwrap();
    let lib = dir.path().join("py");
    python::install_library(&lib).unwrap();
    let source = std::path::Path::new(python::M2_LIBRARY).join("control.py");
    let original = std::fs::read_to_string(source).unwrap();
    for text in ["send(msg)", "parse(rep)"] {
        assert_eq!(
            original.matches(text).count(),
            1,
            "control.py changed: {text}"
        );
    }
    let fixed = original
        .replacen("send(msg)", "send(msg.encode('latin-1'))", 1)
        .replacen("parse(rep)", "parse(rep.decode('latin-1'))", 1);
    std::fs::write(lib.join("mongrel2/control.py"), fixed).unwrap();
    let out = Command::new(python::PYTHON)
        .args(["-c", PY_DRIVER, &control])
        .env("PYTHONPATH", &lib)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let want = [
        format!("{{'headers': ['uuid'], 'rows': [['{DEFAULT_SEND_IDENT}']]}}"),
        "{'headers': ['id', 'fd', 'type', 'last_ping', 'last_read', 'last_write', 'bytes_read', 'bytes_written'], 'rows': []}".to_owned(),
        "{'code': 'INVALID_ARGUMENT', 'error': 'Invalid argument type.'}".to_owned(),
    ];
    assert_eq!(stdout.lines().collect::<Vec<_>>(), want);
}
