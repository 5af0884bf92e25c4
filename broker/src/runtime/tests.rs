//! The broker's loop with real libzmq sockets over ipc:// in temp dirs (and tcp://127.0.0.1:*): fake
//! workers are DEALERs speaking S0W/1 through the protocol codec; gateways are embedded or standalone
//! links. Every wait is for an event, with a deadline; nothing sleeps.

mod control;
mod embedded;
mod failures;
mod handlers;
mod standalone;

use std::time::Duration;

use bytes::Bytes;
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

use super::{sockets, Broker, Endpoints, Error, Settings};
use crate::engine::Config;
use crate::link::{FromBroker, Link, ToBroker};
use crate::protocol::{self, Command, RequestId, ServiceName};
use crate::zmq_async::AsyncSocket;

/// Upper bound for anything a test waits on; a hang fails with a message instead of stalling.
const DEADLINE: Duration = Duration::from_secs(10);

/// The broker's heartbeat interval in these tests; peers are dead after 5 silent intervals.
const INTERVAL: Duration = Duration::from_millis(100);

/// How often a fake worker heartbeats while it waits.
const WORKER_HEARTBEAT: Duration = Duration::from_millis(50);

fn ipc(dir: &TempDir, name: &str) -> String {
    format!("ipc://{}/{name}", dir.path().display())
}

fn config() -> Config {
    Config {
        heartbeat_interval: INTERVAL,
        liveness: 5,
        ..Config::default()
    }
}

/// How long the test brokers drain when stopped.
const DRAIN_GRACE: Duration = Duration::from_millis(300);

fn settings(dir: &TempDir) -> Settings {
    Settings {
        engine: config(),
        drain_grace: DRAIN_GRACE,
        ..Settings::new(ipc(dir, "workers"))
    }
}

/// A running broker.
struct Running {
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), Error>>,
    endpoints: Endpoints,
}

impl Running {
    /// Binds, opens one embedded link per sender id, and spawns the loop.
    async fn start(settings: Settings, embedded: &[&str]) -> (Running, Vec<Link>) {
        let mut broker = Broker::bind(settings).await.unwrap();
        let links = embedded
            .iter()
            .map(|id| broker.embedded_link(id, 1024))
            .collect();
        let endpoints = broker.endpoints().clone();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(broker.run(shutdown.clone()));
        let running = Running {
            shutdown,
            task,
            endpoints,
        };
        (running, links)
    }

    /// Cancels the broker and waits for its drain to finish.
    async fn stop(self) {
        self.shutdown.cancel();
        let result = timeout(DEADLINE, self.task).await;
        result.expect("broker did not stop").unwrap().unwrap();
    }
}

/// A worker's DEALER driven by the test.
struct FakeWorker {
    socket: AsyncSocket,
}

impl FakeWorker {
    /// Connects, sends READY and waits for the broker's HEARTBEAT (registration done).
    async fn ready(
        ctx: &zmq::Context,
        endpoint: &str,
        identity: &str,
        services: &[&str],
        capacity: u32,
    ) -> Self {
        let socket = ctx.socket(zmq::DEALER).unwrap();
        socket.set_linger(0).unwrap();
        socket.set_identity(identity.as_bytes()).unwrap();
        socket.connect(endpoint).unwrap();
        let mut worker = FakeWorker {
            socket: AsyncSocket::new(socket).unwrap(),
        };
        let services = services
            .iter()
            .map(|s| ServiceName::new(s.as_bytes()).unwrap())
            .collect();
        worker.send(&Command::Ready { services, capacity });
        match worker.recv_any().await {
            Command::Heartbeat { timing: Some(_) } => worker,
            other => panic!("READY answered with {other:?}"),
        }
    }

    fn send(&self, command: &Command) {
        self.socket
            .try_send_multipart(protocol::encode(command))
            .unwrap();
    }

    /// The next command from the broker, heartbeats included.
    async fn recv_any(&mut self) -> Command {
        let frames = timeout(DEADLINE, self.socket.recv_multipart(sockets::MAX_FRAMES))
            .await
            .expect("worker heard nothing from the broker")
            .unwrap();
        let frames: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
        protocol::decode(&frames).unwrap()
    }

    /// The next command other than a HEARTBEAT, heartbeating the broker while waiting.
    async fn recv(&mut self) -> Command {
        let give_up = tokio::time::Instant::now() + DEADLINE;
        loop {
            assert!(tokio::time::Instant::now() < give_up, "worker got nothing");
            let received = timeout(
                WORKER_HEARTBEAT,
                self.socket.recv_multipart(sockets::MAX_FRAMES),
            );
            match received.await {
                Err(_) => self.send(&Command::Heartbeat { timing: None }),
                Ok(frames) => {
                    let frames = frames.unwrap();
                    let frames: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
                    match protocol::decode(&frames).unwrap() {
                        Command::Heartbeat { .. } => {}
                        command => return command,
                    }
                }
            }
        }
    }

    /// Waits for a REQUEST: its id and payload.
    async fn request(&mut self) -> (RequestId, Bytes) {
        match self.recv().await {
            Command::Request {
                request, payload, ..
            } => (request, payload),
            other => panic!("expected a REQUEST, got {other:?}"),
        }
    }

    /// Answers a request payload with a small 200 and gives the slot back.
    fn answer(&self, request: RequestId, payload: &[u8], body: &str) {
        self.send(&Command::Reply {
            reply: reply_to(payload, body),
        });
        self.send(&Command::Done { request });
    }
}

/// A Mongrel2 request message from `sender` on connection `conn`.
fn payload(sender: &str, conn: u32) -> Bytes {
    Bytes::from(format!("{sender} {conn} /p 2:{{}},0:,"))
}

/// The Mongrel2 reply a handler sends for `payload` (same sender and conn id) with `body`.
fn reply_to(payload: &[u8], body: &str) -> Bytes {
    let text = String::from_utf8_lossy(payload);
    let mut fields = text.splitn(3, ' ');
    let (sender, conn) = (fields.next().unwrap(), fields.next().unwrap());
    Bytes::from(format!("{sender} {}:{conn}, {body}", conn.len()))
}

fn submit(request: u64, service: &str, payload: Bytes) -> ToBroker {
    ToBroker::Submit {
        request,
        service: ServiceName::new(service.as_bytes()).unwrap(),
        payload,
        deadline: Duration::ZERO,
        idempotent: true,
    }
}

/// The next message on a link.
async fn next(rx: &mut mpsc::Receiver<FromBroker>) -> FromBroker {
    timeout(DEADLINE, rx.recv())
        .await
        .expect("link got nothing")
        .expect("link closed")
}

/// Waits for `Up` on a link, skipping nothing else.
async fn expect_up(rx: &mut mpsc::Receiver<FromBroker>) {
    assert_eq!(next(rx).await, FromBroker::Up);
}

#[tokio::test]
async fn bind_errors_name_the_socket_and_the_endpoint() {
    let error = Broker::bind(Settings::new("nonsense://x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Socket { role: "workers", source: crate::zmq_async::Error::Endpoint { endpoint, .. } } if endpoint == "nonsense://x"),
        "{error:?}"
    );
    let bad = Settings {
        engine: Config {
            liveness: 0,
            ..Config::default()
        },
        ..Settings::new("inproc://x")
    };
    assert!(matches!(Broker::bind(bad).await, Err(Error::Config(_))));
}
