//! The `scale0 gateway` binary itself, as an operator runs it, with `worker_threads = 1` (tokio's
//! current-thread runtime: the whole gateway and its embedded broker on one thread) and with 2:
//! concurrent clients through the embedded broker to a worker process all get their answer, and
//! SIGTERM stops the process cleanly.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use scale0_tests::procs::{binary, Endpoints, Process, Worker};

use super::load::{send, Method};
use super::{config, story, wait_serving, REPLY_TIMEOUT};

/// Clients sending at once, and requests each.
const CLIENTS: usize = 8;
const PER_CLIENT: usize = 25;
/// How long the gateway may take to stop after SIGTERM (its `shutdown_grace` is 1 s).
const STOP_DEADLINE: Duration = Duration::from_secs(10);

fn serve_with_worker_threads(threads: usize) {
    let _one = story();
    let dir = tempfile::Builder::new()
        .prefix("scale0-binary-e2e-")
        .tempdir()
        .unwrap();
    let endpoints = Endpoints::ipc(dir.path());
    // Learn a free port, then let the gateway bind it (loopback only).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let broker = format!(
        "embedded = true\nworkers = \"{}\"\ncontrol = \"{}\"\n",
        endpoints.workers, endpoints.control
    );
    let text = config(REPLY_TIMEOUT, &broker).replace("127.0.0.1:0", &format!("127.0.0.1:{port}"))
        + &format!("\n[gateway]\nworker_threads = {threads}\nshutdown_grace = \"1s\"\n");
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, text).unwrap();
    let mut command = Command::new(binary("scale0").unwrap());
    command.arg("gateway").arg("--config").arg(&path);
    let mut gateway = Process::spawn("gateway", command, dir.path()).unwrap();
    let logs = || gateway.logs();
    // The embedded broker's control socket exists once the gateway bound it.
    scale0_tests::wait::until("the gateway to bind", Duration::from_secs(20), || {
        scale0_tests::procs::status(&endpoints.control).ok()
    })
    .unwrap_or_else(|e| panic!("{e}; {}", logs()));
    let worker = Worker::hello(
        &endpoints.workers,
        &endpoints.control,
        "bin",
        4,
        Duration::ZERO,
        dir.path(),
    )
    .unwrap();
    wait_serving(port, "/", || format!("{}\n{}", logs(), worker.logs()));

    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let failures = failures.clone();
            std::thread::spawn(move || {
                for i in 0..PER_CLIENT {
                    let path = format!("/page/{c}/{i}");
                    match send(port, Method::Get, &path, b"") {
                        Ok(a) if a.status == 200 && a.body.contains(&format!("GET {path} ")) => {}
                        other => failures.lock().unwrap().push(format!("{path}: {other:?}")),
                    }
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    assert!(failures.is_empty(), "{failures:?}\n{}", logs());

    let exited = gateway
        .terminate(STOP_DEADLINE)
        .unwrap_or_else(|e| panic!("the gateway did not stop on SIGTERM: {e}"));
    assert!(exited.success(), "{exited}; {}", gateway.logs());
}

#[test]
fn one_worker_thread_serves_concurrent_clients_and_stops_on_sigterm() {
    serve_with_worker_threads(1);
}

#[test]
fn two_worker_threads_serve_concurrent_clients_and_stop_on_sigterm() {
    serve_with_worker_threads(2);
}
