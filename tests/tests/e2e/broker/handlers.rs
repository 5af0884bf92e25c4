//! Unchanged Mongrel2 handlers behind the broker: a service backed by the
//! PUSH/SUB sockets the (embedded) broker binds, as Mongrel2 binds them. Two
//! handlers on the Mongrel2 handler API share the load; with none connected
//! the client gets 503 at the deadline, never a hang.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mongrel2_compat::handler::Connection;
use scale0_tests::gateway::Gateway;
use scale0_tests::procs::Endpoints;

use super::load::{send, Method};
use super::{config, story, wait_serving, REPLY_TIMEOUT};

/// The example Mongrel2 handler (`hello`) in a thread, until `stop`.
fn handler(send_spec: &str, recv_spec: &str, stop: &Arc<AtomicBool>) -> JoinHandle<u64> {
    let (send_spec, recv_spec, stop) = (send_spec.to_owned(), recv_spec.to_owned(), stop.clone());
    std::thread::spawn(move || {
        let conn = Connection::connect(None, &send_spec, &recv_spec).unwrap();
        scale0_workers_examples::hello::serve(&conn, &stop).unwrap()
    })
}

fn gateway(dir: &std::path::Path, max_outstanding: u32) -> (Gateway, String, String) {
    let endpoints = Endpoints::ipc(dir);
    let send_spec = format!("ipc://{}/m2-send", dir.display());
    let recv_spec = format!("ipc://{}/m2-recv", dir.display());
    let broker = format!(
        "embedded = true\nworkers = \"{}\"\ncontrol = \"{}\"\n",
        endpoints.workers, endpoints.control
    );
    let handlers = format!(
        "\n[[broker.handler]]\nservice = \"hello\"\nsend_spec = \"{send_spec}\"\n\
         recv_spec = \"{recv_spec}\"\nmax_outstanding = {max_outstanding}\n"
    );
    let gateway = Gateway::start(&(config(REPLY_TIMEOUT, &broker) + &handlers)).unwrap();
    (gateway, send_spec, recv_spec)
}

#[test]
fn mongrel2_handlers_serve_a_service_and_share_its_load() {
    let _one = story();
    let dir = tempfile::tempdir().unwrap();
    let (gateway, send_spec, recv_spec) = gateway(dir.path(), 8);
    let stop = Arc::new(AtomicBool::new(false));
    let first = handler(&send_spec, &recv_spec, &stop);
    let page = wait_serving(gateway.port(), "/", String::new);
    assert!(
        page.body.contains("Hello from Scale0's example handler."),
        "{page:?}"
    );
    let second = handler(&send_spec, &recv_spec, &stop);
    wait_serving(gateway.port(), "/warm", String::new);
    for i in 0..40 {
        let answer = send(gateway.port(), Method::Get, &format!("/n/{i}"), b"").unwrap();
        assert_eq!(answer.status, 200, "{answer:?}");
        assert!(
            answer.body.contains(&format!("GET /n/{i} (conn ")),
            "{answer:?}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    let (a, b) = (first.join().unwrap(), second.join().unwrap());
    assert!(a > 0 && b > 0, "both handlers took work: {a} and {b}");
}

#[test]
fn without_a_handler_a_handler_backed_service_answers_503_in_time() {
    let _one = story();
    let dir = tempfile::tempdir().unwrap();
    let (gateway, _send, _recv) = gateway(dir.path(), 4);
    let started = Instant::now();
    let answer = send(gateway.port(), Method::Get, "/nobody", b"").unwrap();
    let waited = started.elapsed();
    assert_eq!(answer.status, 503, "{answer:?}");
    assert!(
        waited >= REPLY_TIMEOUT && waited < REPLY_TIMEOUT + Duration::from_secs(2),
        "answered after {waited:?}"
    );
}
