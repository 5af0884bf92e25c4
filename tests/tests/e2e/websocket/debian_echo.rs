//! Mongrel2's own WebSocket example handler (Debian's `examples/ws/python/echo.py`, Python 2),
//! py3-fixed at test time, behind Mongrel2 and behind Scale0, with python3-websockets as the
//! client: text, fragmented, binary, ping and close give the same answers through both.

use std::path::Path;

use scale0_tests::mongrel2::{Mongrel2, Options};

use super::real_client::run_client;
use super::{gateway, Extra};
use scale0_tests::python::PyApp;

const EXAMPLES: &str = "/usr/share/doc/mongrel2-core/examples/ws/python";

/// Python 2 → 3 fixes and the example's fixed endpoints replaced.
fn fixes<'a>(send: &'a str, recv: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("import simplejson as json", "import json"),
        ("logf=open('echo.log','wb')", "logf=open('echo.log','w')"),
        (
            "print >>logf,'abort',code,reason",
            "print('abort',code,reason,file=logf)",
        ),
        ("print \"FAILED RECV\"", "print(\"FAILED RECV\")"),
        (
            "print 'METHOD is Not WEBSOCKET:',req.headers#,req.body",
            "print('METHOD is Not WEBSOCKET:',req.headers)",
        ),
        // The library hands bodies over as latin-1 text (one character per byte).
        (
            "x=wsdata.decode('utf-8')",
            "x=wsdata.encode('latin-1').decode('utf-8')",
        ),
        ("\"tcp://127.0.0.1:9990\"", send),
        ("\"tcp://127.0.0.1:9989\"", recv),
    ]
}

fn echo_py(send_spec: &str, recv_spec: &str) -> PyApp {
    let (send, recv) = (format!("\"{send_spec}\""), format!("\"{recv_spec}\""));
    let examples = Path::new(EXAMPLES);
    PyApp::start(
        &examples.join("echo.py"),
        &[&examples.join("wsutil.py")],
        &fixes(&send, &recv),
    )
    .unwrap()
}

const WANT: [&str; 5] = [
    "Hello",
    "frag-one frag-two",
    "000102ff",
    "pong",
    "closed 1000",
];

#[test]
fn mongrel2s_websocket_echo_example_answers_the_same_through_both_servers() {
    let m2 = Mongrel2::start(Options::default()).unwrap();
    let app = echo_py(&m2.send_spec, &m2.recv_spec);
    let got = run_client(m2.http_port, true, || app.logs());
    assert_eq!(got, WANT, "through Mongrel2");
    drop(app);

    let (gw, send, recv, _dir) = gateway("json", Extra::default());
    let app = echo_py(&send, &recv);
    let got = run_client(gw.port(), true, || app.logs());
    assert_eq!(got, WANT, "through Scale0");
}
