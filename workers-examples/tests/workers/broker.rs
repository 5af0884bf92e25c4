//! A fake broker: a ROUTER in a temp dir that decodes what workers send, with a deadline on every wait.

use std::time::{Duration, Instant};

use bytes::Bytes;
use mongrel2_compat::request::{Builder, Protocol};
use scale0_broker::protocol::{decode, encode, Command, HeartbeatTiming, RequestId};

/// How long a test waits for anything before failing.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The gateway sender id requests carry.
pub const GW: &[u8] = b"gw-test";

pub struct Broker {
    router: zmq::Socket,
    pub endpoint: String,
    _ctx: zmq::Context,
    _dir: tempfile::TempDir,
}

impl Broker {
    pub fn bind() -> Broker {
        let dir = tempfile::tempdir().unwrap();
        let ctx = zmq::Context::new();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        router.set_linger(0).unwrap();
        let endpoint = format!("ipc://{}/broker", dir.path().display());
        router.bind(&endpoint).unwrap();
        Broker {
            router,
            endpoint,
            _ctx: ctx,
            _dir: dir,
        }
    }

    /// The next message from a worker: identity and raw frames.
    pub fn recv_raw(&self) -> (Vec<u8>, Vec<Vec<u8>>) {
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

    /// The next message that is not a worker HEARTBEAT, decoded.
    pub fn expect(&self) -> (Vec<u8>, Command) {
        loop {
            let (identity, frames) = self.recv_raw();
            let command = decode(&frames).unwrap();
            if command != (Command::Heartbeat { timing: None }) {
                return (identity, command);
            }
        }
    }

    /// Waits for READY, answers with the broker's HEARTBEAT (`interval_ms`, liveness 3); returns the
    /// worker's identity and READY.
    pub fn accept(&self, interval_ms: u32) -> (Vec<u8>, Command) {
        let (identity, ready) = self.expect();
        assert!(matches!(ready, Command::Ready { .. }), "{ready:?}");
        let timing = Some(HeartbeatTiming {
            interval_ms,
            liveness: 3,
        });
        self.send(&identity, &Command::Heartbeat { timing });
        (identity, ready)
    }

    pub fn send(&self, identity: &[u8], command: &Command) {
        let mut frames = vec![identity.to_vec()];
        frames.extend(encode(command).iter().map(|f| f.to_vec()));
        self.router.send_multipart(frames, 0).unwrap();
    }

    /// Sends a REQUEST for `GET path` (with `body`) on connection `conn`.
    pub fn request(&self, identity: &[u8], id: u64, conn: u64, path: &str, body: &[u8]) {
        let built = Builder::new(GW, conn, Protocol::Json)
            .method(b"GET")
            .path(path.as_bytes())
            .version(b"HTTP/1.1")
            .uri(path.as_bytes())
            .pattern(b"/")
            .remote_addr(b"127.0.0.1")
            .header(b"Host", b"localhost")
            .body(body)
            .build()
            .unwrap();
        let command = Command::Request {
            request: RequestId(id),
            sender: Bytes::from_static(GW),
            payload: Bytes::from(built.request.to_vec()),
        };
        self.send(identity, &command);
    }

    /// The next REPLY's body (after `GW LEN:conn, `), checking it addresses `conn`.
    pub fn reply_body(&self, conn: u64) -> Vec<u8> {
        let (_, command) = self.expect();
        let Command::Reply { reply } = command else {
            panic!("expected REPLY, got {command:?}")
        };
        let parsed = mongrel2_compat::reply::parse(&reply).unwrap();
        assert_eq!((parsed.uuid, parsed.ids.as_slice()), (GW, &[conn][..]));
        match parsed.kind {
            mongrel2_compat::reply::Kind::Data(body) => body.to_vec(),
            other => panic!("expected data, got {other:?}"),
        }
    }

    /// Expects DONE for request `id`.
    pub fn expect_done(&self, id: u64) {
        let done = Command::Done {
            request: RequestId(id),
        };
        assert_eq!(self.expect().1, done);
    }
}
