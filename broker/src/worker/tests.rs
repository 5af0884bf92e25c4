//! The worker library against a real ROUTER socket playing the broker with the protocol codec. Every
//! wait is for an event with a deadline; nothing sleeps.

mod inline;
mod liveness;
mod real_broker;
mod serving;
mod shutdown;
mod version;

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Error, Settings, Worker};
use crate::protocol::{decode, encode, Command, HeartbeatTiming, RequestId};

/// How long a test waits for anything before failing.
const PATIENCE: Duration = Duration::from_secs(10);

/// The sender id of the captured requests.
const GW: &[u8] = b"34f9ceee-cd52-4b7f-b197-88bf2f0ec378";

/// A captured Mongrel2 request for `GET /hello` on connection 1.
fn hello_request() -> Bytes {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/mongrel2-captures/json-01-simple-get/02-m2-to-handler.bin"
    );
    Bytes::from(std::fs::read(path).unwrap())
}

/// A REQUEST for the captured `GET /hello`.
/// An S0W/2 head frame carrying a request id: protocol id, command byte, id.
fn head(command: u8, id: u64) -> Vec<u8> {
    let mut head = b"S0W2".to_vec();
    head.push(command);
    head.extend_from_slice(&id.to_be_bytes());
    head
}

fn request(id: u64) -> Command {
    Command::Request {
        request: RequestId(id),
        sender: Bytes::from_static(GW),
        payload: hello_request(),
    }
}

/// The broker's CANCEL of request `id`, with the Mongrel2 disconnect notice for connection 1.
fn cancel(id: u64) -> Command {
    let mut notice = GW.to_vec();
    notice.extend_from_slice(br#" 1 @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},"#);
    Command::Cancel {
        request: RequestId(id),
        notice: notice.into(),
    }
}

/// The worker's DONE for request `id`.
fn done(id: u64) -> Command {
    Command::Done {
        request: RequestId(id),
    }
}

/// Expects `count` REPLYs whose bodies are `chunk 0`, `chunk 1`, … in order, then the DONE of
/// request `id`.
fn expect_chunks(broker: &Broker, count: usize, id: u64) {
    for i in 0..count {
        let Command::Reply { reply } = broker.expect().1 else {
            panic!("expected reply {i}")
        };
        assert!(reply.ends_with(format!(", chunk {i}").as_bytes()));
    }
    assert_eq!(broker.expect().1, done(id));
}

/// The broker's HEARTBEAT announcing `interval_ms` and `liveness`.
fn heartbeat(interval_ms: u32, liveness: u32) -> Command {
    Command::Heartbeat {
        timing: Some(HeartbeatTiming {
            interval_ms,
            liveness,
        }),
    }
}

/// Settings that retry within milliseconds, so reconnect tests run fast.
fn fast() -> Settings {
    Settings {
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        linger: Duration::from_millis(100),
        ..Settings::default()
    }
}

/// A fake broker: a ROUTER bound on an ipc endpoint in a temp dir.
struct Broker {
    router: zmq::Socket,
    endpoint: String,
    _ctx: zmq::Context,
}

impl Broker {
    fn bind(dir: &Path, name: &str) -> Broker {
        let ctx = zmq::Context::new();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        router.set_linger(0).unwrap();
        let endpoint = format!("ipc://{}/{name}", dir.display());
        router.bind(&endpoint).unwrap();
        Broker {
            router,
            endpoint,
            _ctx: ctx,
        }
    }

    /// The next message from any worker: its identity and frames after it.
    fn recv_raw(&self) -> (Vec<u8>, Vec<Vec<u8>>) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no message from the worker within {PATIENCE:?}"
            );
            let ms = i64::try_from(left.as_millis()).unwrap().max(1);
            if self.router.poll(zmq::POLLIN, ms).unwrap() > 0 {
                let mut frames = self.router.recv_multipart(0).unwrap();
                let identity = frames.remove(0);
                return (identity, frames);
            }
        }
    }

    /// The next message, decoded.
    fn recv(&self) -> (Vec<u8>, Command) {
        let (identity, frames) = self.recv_raw();
        (identity, decode(&frames).unwrap())
    }

    /// The next message that is not a worker HEARTBEAT, as raw frames.
    fn expect_raw(&self) -> (Vec<u8>, Vec<Vec<u8>>) {
        loop {
            let (identity, frames) = self.recv_raw();
            if decode(&frames).unwrap() != (Command::Heartbeat { timing: None }) {
                return (identity, frames);
            }
        }
    }

    /// The next message that is not a worker HEARTBEAT, decoded.
    fn expect(&self) -> (Vec<u8>, Command) {
        let (identity, frames) = self.expect_raw();
        (identity, decode(&frames).unwrap())
    }

    /// Waits for READY and answers with a HEARTBEAT carrying the default timing, as the broker does.
    fn accept(&self) -> Vec<u8> {
        let (identity, command) = self.expect();
        assert!(matches!(command, Command::Ready { .. }), "{command:?}");
        self.send(&identity, &heartbeat(1000, 3));
        identity
    }

    fn send(&self, identity: &[u8], command: &Command) {
        let mut frames = vec![identity.to_vec()];
        frames.extend(encode(command).iter().map(|f| f.to_vec()));
        self.router.send_multipart(frames, 0).unwrap();
    }
}

/// A temp dir and a broker in it.
fn broker() -> (tempfile::TempDir, Broker) {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::bind(dir.path(), "broker");
    (dir, broker)
}

#[test]
fn worker_handles_are_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone>() {}
    fn send<T: Send>() {}
    check::<Worker>();
    send::<super::Job>();
}

#[test]
fn bad_arguments_are_refused_before_any_socket() {
    let connect = |services: &[&str], capacity, endpoint: &str| {
        Worker::connect(endpoint, services, capacity, Settings::default()).unwrap_err()
    };
    let ok = "ipc:///nonexistent/broker";
    assert!(matches!(connect(&["a b"], 1, ok), Error::Service { .. }));
    assert!(matches!(connect(&[], 1, ok), Error::ServiceCount { .. }));
    assert!(matches!(
        connect(&["a", "a"], 1, ok),
        Error::DuplicateService { .. }
    ));
    assert!(matches!(connect(&["a"], 0, ok), Error::Capacity { .. }));
    assert!(matches!(connect(&["a"], 1025, ok), Error::Capacity { .. }));
    assert!(matches!(
        connect(&["a"], 1, "nowhere"),
        Error::Endpoint { .. }
    ));
    let bad = Settings {
        outbox: 0,
        ..Settings::default()
    };
    let err = Worker::connect(ok, &["a"], 1, bad).unwrap_err();
    assert!(matches!(err, Error::Settings(_)));
}
