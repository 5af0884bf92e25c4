//! exploration (temporary)
use std::time::Duration;
use scale0_tests::client::Conn;
use scale0_tests::gateway::{handler_config, Gateway};
use scale0_tests::mongrel2::{Mongrel2, Options};
use scale0_tests::recorder::{Closing, Recorder};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(scale0_tests::repo_root().join("fixtures/mongrel2-captures").join(path)).unwrap()
}

fn slurp(port: u16, parts: &[Vec<u8>]) -> Vec<u8> {
    let mut c = Conn::connect(port).unwrap();
    let mut out = Vec::new();
    for p in parts {
        c.send(p).unwrap();
        let got = c.read_until(Duration::from_millis(400), |_| false);
        match got { Ok(b) => { out.extend(b); out.extend(b"<EOF>"); return out; } Err(e) => {
            let s = e.to_string();
            out.extend(s.into_bytes()); out.extend(b"<|>");
        } }
    }
    out
}

#[test]
fn explore() {
    let dir = tempfile::tempdir().unwrap();
    let send = format!("ipc://{}/send", dir.path().display());
    let recv = format!("ipc://{}/recv", dir.path().display());
    let proto = std::env::var("PROTO").unwrap_or("json".into());
    let m2 = Mongrel2::start(Options { protocol: proto.clone(), ..Options::default() }).unwrap();
    let gw = Gateway::start(&handler_config(&send, &recv, &proto, "reply_timeout = \"1s\"")).unwrap();
    let r1 = Recorder::start(&m2.send_spec, &m2.recv_spec, Closing::AsAsked).unwrap();
    let r2 = Recorder::start(&send, &recv, Closing::AsAsked).unwrap();
    let cases: Vec<(String, Vec<Vec<u8>>)> = std::env::var("CASES").unwrap().split(';').map(|c| {
        let parts: Vec<Vec<u8>> = c.split('+').map(|f| if let Some(n) = f.strip_prefix("big:") { format!("GET /big HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n", "y".repeat(n.parse().unwrap())).into_bytes() } else if f.starts_with("raw:") { f[4..].replace("\\r\\n", "\r\n").replace("\\n", "\n").into_bytes() } else { fixture(f) }).collect();
        (c.to_string(), parts)
    }).collect();
    slurp(m2.http_port, &[b"GET /warm HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec()]);
    slurp(gw.port(), &[b"GET /warm HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec()]);
    let n1 = r1.frames().len(); let n2 = r2.frames().len();
    let mut out = String::new();
    for (name, parts) in &cases {
        let a = slurp(m2.http_port, parts);
        let b = slurp(gw.port(), parts);
        out += &format!("=== {name}\n--- m2 client:\n{}\n--- s0 client:\n{}\n", String::from_utf8_lossy(&a).escape_debug(), String::from_utf8_lossy(&b).escape_debug());
    }
    std::thread::sleep(Duration::from_millis(500));
    out += "=== m2 frames\n";
    for f in &r1.frames()[n1..] { out += &format!("{}\n", String::from_utf8_lossy(&f.bytes).escape_debug()); }
    out += "=== s0 frames\n";
    for f in &r2.frames()[n2..] { out += &format!("{}\n", String::from_utf8_lossy(&f.bytes).escape_debug()); }
    out += &format!("errors {:?} {:?}\n", r1.errors(), r2.errors());
    std::fs::write(std::env::var("OUT").unwrap(), out).unwrap();
}
