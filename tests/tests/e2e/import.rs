//! A Mongrel2 site, written in m2sh's language, converted by `scale0 import-mongrel2` and served
//! by Scale0 unchanged: the handler routes reach a real handler with Mongrel2's `PATTERN`, the
//! anchored pattern route refuses what Mongrel2 refuses, and the `Dir` route serves its files.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mongrel2_compat::handler::Connection;
use scale0_gateway::import::{import_m2sh, Options};
use scale0_tests::client::{split_response, Conn};
use scale0_tests::gateway::Gateway;

const DEADLINE: Duration = Duration::from_secs(10);

/// The site; `{dir}` is a temp dir holding the ipc sockets and the static files.
const SITE: &str = r#"
# handlers speak ZeroMQ over ipc in the temp dir
app = Handler(send_spec='ipc://{dir}/send', send_ident='34f9ceee-cd52-4b7f-b197-88bf2f0ec378'
              recv_spec='ipc://{dir}/recv' recv_ident='')
main = Server(uuid="f400bf85-4538-4f7a-8908-67e313d515c2", name="main",
    error_log="/logs/error.log", pid_file="/run/mongrel2.pid",
    default_host="localhost", bind_addr="127.0.0.1", port=6767,
    hosts=[Host(name="localhost", routes={
        '/': app,
        '/api/(\d+)$': app,
        '/static/': Dir(base='{dir}/static/', index_file='index.html', default_ctype='text/plain')
    })])
servers = [main]
"#;

fn get(port: u16, path: &str) -> (u16, String) {
    let mut conn = Conn::connect(port).unwrap();
    conn.send(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .unwrap();
    let response = conn.read_response(DEADLINE).unwrap();
    let (status, _, body) = split_response(&response).unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn an_imported_mongrel2_site_serves_its_handler_pattern_and_dir_routes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("static")).unwrap();
    std::fs::write(dir.path().join("static/a.txt"), "static file\n").unwrap();
    let conf = SITE.replace("{dir}", &dir.path().display().to_string());

    let imported = import_m2sh(&conf, &Options::default()).unwrap();
    imported.check.as_ref().unwrap();
    let reasons: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        reasons.len(),
        2,
        "pid_file and error_log only: {reasons:#?}"
    );
    let bind = "bind = \"127.0.0.1:6767\"";
    assert!(imported.toml.contains(bind), "{}", imported.toml);
    let gateway = Gateway::start(&imported.toml.replace(bind, "bind = \"127.0.0.1:0\"")).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let handler = {
        let stop = stop.clone();
        let send = format!("ipc://{}/send", dir.path().display());
        let recv = format!("ipc://{}/recv", dir.path().display());
        std::thread::spawn(move || {
            let conn = Connection::connect(None, &send, &recv).unwrap();
            scale0_workers_examples::hello::serve(&conn, &stop).unwrap()
        })
    };
    scale0_tests::wait::until("the handler to answer", DEADLINE, || {
        let mut c = Conn::connect(gateway.port()).ok()?;
        c.send(b"GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .ok()?;
        let r = c.read_response(Duration::from_millis(500)).ok()?;
        (split_response(&r).ok()?.0 == 200).then_some(())
    })
    .unwrap();

    let (status, body) = get(gateway.port(), "/hello");
    assert_eq!(status, 200);
    assert!(body.contains("PATTERN: /\n"), "{body}");
    let (status, body) = get(gateway.port(), "/api/12");
    assert_eq!(status, 200);
    assert!(body.contains("PATTERN: /api/(\\d+)$\n"), "{body}");
    assert_eq!(
        get(gateway.port(), "/api/12a").0,
        404,
        "the pattern is anchored by $"
    );
    assert_eq!(
        get(gateway.port(), "/static/a.txt"),
        (200, "static file\n".to_owned())
    );

    stop.store(true, Ordering::Relaxed);
    drop(gateway);
    assert!(handler.join().unwrap() >= 3);
}
