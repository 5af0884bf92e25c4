//! The smallest story: `scale0 up`'s pieces answer a request.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use mongrel2_compat::handler::Connection;
use scale0_tests::client::{split_response, Conn};
use scale0_tests::gateway::{handler_config, Gateway};

#[test]
fn gateway_and_example_handler_answer_a_get() {
    let dir = tempfile::tempdir().unwrap();
    let send = format!("ipc://{}/send", dir.path().display());
    let recv = format!("ipc://{}/recv", dir.path().display());
    let gateway = Gateway::start(&handler_config(&send, &recv, "json", "")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let handler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let conn = Connection::connect(None, &send, &recv).unwrap();
            scale0_workers_examples::hello::serve(&conn, &stop).unwrap()
        })
    };
    let mut client = Conn::connect(gateway.port()).unwrap();
    client
        .send(b"GET /hello?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let response = client.read_response(Duration::from_secs(10)).unwrap();
    let (status, _, body) = split_response(&response).unwrap();
    assert_eq!(status, 200);
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("GET /hello (conn 1)"), "{body}");
    assert!(body.contains("QUERY: x=1"), "{body}");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(handler.join().unwrap(), 1);
}
