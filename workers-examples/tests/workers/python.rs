//! `python/worker.py` as a real process (system python3 with pyzmq) against the fake broker.

use std::process::{Child, Command as Process, ExitStatus};
use std::sync::mpsc;

use scale0_broker::protocol::Command;

use super::broker::{Broker, PATIENCE};

/// The Python that has pyzmq (the PATH one may not).
const PYTHON: &str = "/usr/bin/python3";

/// The worker process, killed if the test ends early.
struct Worker(Option<Child>);

impl Worker {
    fn spawn(endpoint: &str) -> Worker {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/worker.py");
        let child = Process::new(PYTHON)
            .args([script, endpoint, "hello", "echo"])
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .spawn()
            .expect("run /usr/bin/python3 (with pyzmq)");
        Worker(Some(child))
    }

    fn signal_term(&self) {
        let pid = self.0.as_ref().unwrap().id().to_string();
        let status = Process::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, with a deadline.
    fn wait(mut self) -> ExitStatus {
        let mut child = self.0.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let status = child.wait();
            tx.send(()).unwrap();
            status
        });
        rx.recv_timeout(PATIENCE)
            .expect("the Python worker did not exit");
        waiter.join().unwrap().unwrap()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            child.kill().unwrap_or_default();
            child.wait().unwrap();
        }
    }
}

#[test]
fn python_worker_registers_serves_and_drains_on_sigterm() {
    let broker = Broker::bind();
    let worker = Worker::spawn(&broker.endpoint);
    let (identity, frames) = broker.recv_raw();
    let ready: [&[u8]; 6] = [b"", b"S0W1", b"\x01", b"1", b"hello", b"echo"];
    assert_eq!(frames, ready.map(<[u8]>::to_vec), "READY frames");
    let timing = Some(scale0_broker::protocol::HeartbeatTiming {
        interval_ms: 100,
        liveness: 3,
    });
    broker.send(&identity, &Command::Heartbeat { timing });

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

    worker.signal_term();
    assert_eq!(broker.expect().1, Command::Drain);
    assert_eq!(broker.expect().1, Command::Disconnect { reason: None });
    assert!(worker.wait().success());
}
