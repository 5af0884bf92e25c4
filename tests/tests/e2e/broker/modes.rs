//! The other ways to run it: a worker written in Python behind the standalone broker, and the broker
//! embedded in the gateway process with a worker process connecting to it.

use std::time::Duration;

use scale0_tests::gateway::Gateway;
use scale0_tests::procs::{status, worker_identities, Endpoints, Worker};

use super::load::{send, Method};
use super::{config, story, wait_serving, Stack, REPLY_TIMEOUT};

#[test]
fn the_python_worker_serves_through_broker_and_gateway() {
    let _one = story();
    let stack = Stack::start(REPLY_TIMEOUT);
    let (broker, control) = (&stack.endpoints.workers, &stack.endpoints.control);
    let worker = Worker::python("python", broker, control, stack.dir.path()).unwrap();
    stack.wait_serving("/");

    let port = stack.gateway.port();
    for i in 0..20 {
        let answer = send(port, Method::Get, &format!("/page/{i}"), b"").unwrap();
        assert_eq!(answer.status, 200, "{answer:?}; {}", worker.logs());
        assert!(
            answer
                .body
                .starts_with("Hello from Scale0's Python worker.")
                && answer.body.contains(&format!("GET /page/{i} (conn ")),
            "{answer:?}"
        );
    }
    let echo = send(port, Method::Post, "/echo", b"ping from a client").unwrap();
    assert_eq!(
        (echo.status, echo.body.as_str()),
        (200, "ping from a client")
    );
    let status = stack.broker.status().unwrap();
    assert_eq!(worker_identities(&status), [worker.identity()]);
    assert_eq!(status["counters"]["failed_502"], 0, "{status}");
}

#[test]
fn an_embedded_broker_serves_a_worker_process() {
    let _one = story();
    let dir = tempfile::Builder::new()
        .prefix("scale0-embedded-e2e-")
        .tempdir()
        .unwrap();
    let endpoints = Endpoints::ipc(dir.path());
    let broker = format!(
        "embedded = true\nworkers = \"{}\"\ncontrol = \"{}\"\n",
        endpoints.workers, endpoints.control
    );
    let gateway = Gateway::start(&config(REPLY_TIMEOUT, &broker)).unwrap();
    let (workers, control) = (&endpoints.workers, &endpoints.control);
    let worker = Worker::hello(workers, control, "solo", 2, Duration::ZERO, dir.path()).unwrap();
    let first = wait_serving(gateway.port(), "/", || worker.logs());

    assert_eq!(first.worker.as_deref(), Some("solo"), "{first:?}");
    assert!(first.body.contains("GET / (conn "), "{first:?}");
    let echo = send(gateway.port(), Method::Post, "/echo", b"ping").unwrap();
    assert_eq!((echo.status, echo.body.as_str()), (200, "ping"));
    let status = status(control).unwrap();
    assert_eq!(worker_identities(&status), ["solo"]);
    let services: Vec<_> = status["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        services.contains(&"hello") && services.contains(&"echo"),
        "{status}"
    );
}

#[test]
fn s0w1_and_s0w2_workers_share_a_service_behind_the_standalone_broker() {
    let _one = story();
    let stack = Stack::start(REPLY_TIMEOUT);
    let (broker, control) = (&stack.endpoints.workers, &stack.endpoints.control);
    let dir = stack.dir.path();
    let python = Worker::python("python", broker, control, dir).unwrap();
    let rust = Worker::hello(broker, control, "rust", 1, Duration::ZERO, dir).unwrap();
    stack.wait_serving("/");

    let port = stack.gateway.port();
    let (mut from_python, mut from_rust) = (0, 0);
    for i in 0..40 {
        let answer = send(port, Method::Get, &format!("/mixed/{i}"), b"").unwrap();
        assert_eq!(answer.status, 200, "{answer:?}; {}", python.logs());
        assert!(
            answer.body.contains(&format!("GET /mixed/{i} (conn ")),
            "{answer:?}"
        );
        if answer.worker.as_deref() == Some("rust") {
            from_rust += 1;
        } else if answer
            .body
            .starts_with("Hello from Scale0's Python worker.")
        {
            from_python += 1;
        }
    }
    assert_eq!(
        from_python + from_rust,
        40,
        "every answer from one of the two"
    );
    assert!(
        from_python > 0 && from_rust > 0,
        "LRU used both: {from_python} / {from_rust}"
    );
    let status = stack.broker.status().unwrap();
    let mut identities = worker_identities(&status);
    identities.sort();
    let mut expected = vec![python.identity().to_owned(), rust.identity().to_owned()];
    expected.sort();
    assert_eq!(identities, expected);
    assert_eq!(status["counters"]["malformed_messages"], 0, "{status}");
    assert_eq!(status["counters"]["failed_502"], 0, "{status}");
}
