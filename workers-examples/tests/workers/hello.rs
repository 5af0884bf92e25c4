//! The Rust hello worker: the page for `hello`, the body back for `echo`.

use scale0_broker::protocol::Command;
use scale0_broker::worker::{Settings, Worker};
use scale0_workers_examples::hello_worker;

use super::broker::Broker;

#[test]
fn hello_worker_answers_hello_and_echo_and_drains_on_shutdown() {
    let broker = Broker::bind();
    let services = hello_worker::SERVICES;
    let worker = Worker::connect(&broker.endpoint, &services, 1, Settings::default()).unwrap();
    let serving = {
        let worker = worker.clone();
        std::thread::spawn(move || hello_worker::serve(&worker))
    };
    let (identity, ready) = broker.accept(1000);
    let Command::Ready { services, capacity } = ready else {
        panic!("expected READY, got {ready:?}");
    };
    let names: Vec<&str> = services.iter().map(|s| s.as_str()).collect();
    assert_eq!((names.as_slice(), capacity), (&["hello", "echo"][..], 1));

    broker.request(&identity, 1, 5, "/hello", b"");
    let page = String::from_utf8(broker.reply_body(5)).unwrap();
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("GET /hello (conn 5)"), "{page}");
    broker.expect_done(1);

    broker.request(&identity, 2, 6, "/echo", b"ping");
    let echo = broker.reply_body(6);
    assert!(
        echo.ends_with(b"\r\n\r\nping"),
        "{}",
        String::from_utf8_lossy(&echo)
    );
    broker.expect_done(2);

    worker.shutdown(super::broker::PATIENCE).unwrap();
    assert_eq!(broker.expect().1, Command::Drain);
    assert_eq!(broker.expect().1, Command::Disconnect { reason: None });
    assert_eq!(serving.join().unwrap(), 2);
}
