//! The worker library against the real broker (engine and I/O loop) with an embedded gateway link: the
//! whole S0W/1 path, so the two sides of the protocol cannot drift apart.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{fast, PATIENCE};
use crate::link::{FromBroker, ToBroker};
use crate::protocol::ServiceName;
use crate::runtime::{Broker, Settings};
use crate::worker::Worker;

/// A real broker on an ipc endpoint in a temp dir, running on its own runtime, with gateway `gw-1`
/// linked in (already up).
struct Running {
    _dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    endpoint: String,
    tx: mpsc::Sender<ToBroker>,
    rx: mpsc::Receiver<FromBroker>,
    token: CancellationToken,
    running: tokio::task::JoinHandle<Result<(), crate::runtime::Error>>,
}

impl Running {
    /// Starts the broker with a link of `queue` messages each way and waits for its `Up`.
    fn start(queue: usize) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let endpoint = format!("ipc://{}/workers", dir.path().display());
        let mut broker = runtime
            .block_on(Broker::bind(Settings::new(endpoint.clone())))
            .unwrap();
        let (tx, rx) = broker.embedded_link("gw-1", queue).split();
        let token = CancellationToken::new();
        let running = runtime.spawn(broker.run(token.clone()));
        let mut started = Running {
            _dir: dir,
            runtime,
            endpoint,
            tx,
            rx,
            token,
            running,
        };
        assert_eq!(started.next(), FromBroker::Up);
        started
    }

    /// Waits for the next message on the link, with the test's deadline.
    fn next(&mut self) -> FromBroker {
        let rx = &mut self.rx;
        let got = self
            .runtime
            .block_on(async { tokio::time::timeout(PATIENCE, rx.recv()).await });
        got.expect("nothing from the broker in time")
            .expect("link closed")
    }

    /// Stops the broker and checks it ended cleanly.
    fn stop(self) {
        self.token.cancel();
        self.runtime.block_on(self.running).unwrap().unwrap();
    }
}

fn submit(request: u64, conn: u32) -> ToBroker {
    ToBroker::Submit {
        request,
        service: ServiceName::new(b"echo").unwrap(),
        payload: Bytes::from(format!("gw-1 {conn} /echo 2:{{}},4:ping,")),
        deadline: Duration::ZERO,
        idempotent: true,
    }
}

#[test]
fn requests_and_cancels_through_the_real_broker_reach_the_worker_and_replies_come_back() {
    let mut broker = Running::start(16);
    let worker = Worker::connect(&broker.endpoint, &["echo"], 2, fast()).unwrap();

    broker.tx.blocking_send(submit(1, 12)).unwrap();
    let job = worker.recv_timeout(PATIENCE).unwrap();
    assert_eq!(job.request().unwrap().body, b"ping");
    job.reply(b"HTTP/1.1 200 OK\r\n\r\nping").unwrap();
    job.done().unwrap();
    let reply = Bytes::from_static(b"gw-1 2:12, HTTP/1.1 200 OK\r\n\r\nping");
    assert_eq!(broker.next(), FromBroker::Reply(reply));

    broker.tx.blocking_send(submit(2, 13)).unwrap();
    let held = worker.recv_timeout(PATIENCE).unwrap();
    broker
        .tx
        .blocking_send(ToBroker::Cancel { request: 2 })
        .unwrap();
    let notice = worker.recv_timeout(PATIENCE).unwrap();
    assert!(notice.is_cancel() && held.is_cancelled());
    assert!(notice.request().unwrap().is_notice());
    assert_eq!(notice.conn_id(), 13);
    held.done().unwrap();

    worker.shutdown(PATIENCE).unwrap();
    broker.stop();
}

#[test]
fn an_inline_worker_answers_a_burst_through_the_real_broker_with_reply_done() {
    let mut broker = Running::start(256);
    let (worker, inline) = Worker::connect_inline(&broker.endpoint, &["echo"], 8, fast()).unwrap();
    let serving = std::thread::spawn(move || {
        inline.serve(|job| {
            let body = job.request().map(|r| r.body.to_vec()).unwrap_or_default();
            job.reply_and_done(&body)
        })
    });

    let mut replies: Vec<Bytes> = Vec::new();
    for request in 1..=100u32 {
        broker
            .tx
            .blocking_send(submit(u64::from(request), request))
            .unwrap();
    }
    while replies.len() < 100 {
        match broker.next() {
            FromBroker::Reply(reply) => replies.push(reply),
            other => panic!("expected a reply, got {other:?}"),
        }
    }
    replies.sort();
    let mut expected: Vec<Bytes> = (1..=100)
        .map(|conn| Bytes::from(format!("gw-1 {}:{conn}, ping", conn.to_string().len())))
        .collect();
    expected.sort();
    assert_eq!(replies, expected);

    worker.shutdown(PATIENCE).unwrap();
    serving.join().unwrap().unwrap();
    broker.stop();
}
