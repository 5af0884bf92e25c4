//! One server (the real Mongrel2 or Scale0) with a raw handler: a PULL socket for what the
//! server sends and a PUB socket for any reply bytes, `X ctl` messages included. The PUB is
//! proven joined by a probe before a story starts (ZeroMQ's slow joiner drops earlier replies).

use std::any::Any;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mongrel2_compat::reply::{self, Ctl};
use mongrel2_compat::request;
use scale0_tests::client::Conn;
use scale0_tests::gateway::{handler_config, Gateway};
use scale0_tests::mongrel2::{Mongrel2, Options, DEFAULT_SEND_IDENT};
use scale0_tests::recorder::normalise;

/// Deadline for any one expected event.
pub const EVENT: Duration = Duration::from_secs(10);
/// How long "nothing arrives" is watched.
pub const QUIET: Duration = Duration::from_millis(500);
/// The temp-file template of both servers (inside Mongrel2's chroot for Mongrel2), so handler
/// frames have the same length and differ only in the six random characters.
pub const TEMPLATE: &str = "/tmp/mongrel2.upload.XXXXXX";

/// A server and its raw handler.
pub struct Side {
    /// `Mongrel2` or `Scale0`, for messages.
    pub name: &'static str,
    /// The HTTP port.
    pub port: u16,
    /// Where handler-visible absolute paths live (Mongrel2's chroot, or `/`).
    root: PathBuf,
    pull: zmq::Socket,
    publish: zmq::Socket,
    _ctx: zmq::Context,
    _server: Box<dyn Any>,
}

impl Side {
    /// The real Mongrel2 with these `settings`.
    pub fn mongrel2(settings: &[(&str, &str)]) -> Side {
        let options = Options {
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Options::default()
        };
        let m2 = Mongrel2::start(options).unwrap();
        let (send, recv, port, root) = (
            m2.send_spec.clone(),
            m2.recv_spec.clone(),
            m2.http_port,
            m2.dir().to_owned(),
        );
        Side::attach("Mongrel2", port, &send, &recv, root, Box::new(m2))
    }

    /// Scale0 with `defaults` in `[defaults]` and `tail` appended (e.g. an `[upload]` table).
    pub fn scale0(defaults: &str, tail: &str) -> Side {
        let dir = tempfile::tempdir().unwrap();
        let send = format!("ipc://{}/send", dir.path().display());
        let recv = format!("ipc://{}/recv", dir.path().display());
        let toml = format!(
            "{}\n{tail}\n",
            handler_config(&send, &recv, "json", defaults)
        );
        let gateway = Gateway::start(&toml).unwrap();
        let port = gateway.port();
        Side::attach(
            "Scale0",
            port,
            &send,
            &recv,
            PathBuf::from("/"),
            Box::new((gateway, dir)),
        )
    }

    fn attach(
        name: &'static str,
        port: u16,
        send: &str,
        recv: &str,
        root: PathBuf,
        server: Box<dyn Any>,
    ) -> Side {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.connect(send).unwrap();
        let publish = ctx.socket(zmq::PUB).unwrap();
        publish.connect(recv).unwrap();
        let side = Side {
            name,
            port,
            root,
            pull,
            publish,
            _ctx: ctx,
            _server: server,
        };
        side.probe();
        side
    }

    /// Sends a probe request and replies to it until the client reads a reply, then drains
    /// everything the probe left (its disconnect notice).
    fn probe(&self) {
        let mut client = Conn::connect(self.port).unwrap();
        client
            .send(b"GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let frame = self.recv("the probe request");
        let conn_id = conn_id(&frame);
        let start = Instant::now();
        loop {
            assert!(
                start.elapsed() < EVENT,
                "{}: probe never answered",
                self.name
            );
            self.reply(conn_id, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            if client.read_response(Duration::from_millis(100)).is_ok() {
                break;
            }
        }
        drop(client);
        while self.next_within(QUIET).is_some() {}
    }

    /// The next frame the server sends the handler; fails after [`EVENT`].
    pub fn recv(&self, what: &str) -> Vec<u8> {
        self.next_within(EVENT)
            .unwrap_or_else(|| panic!("{}: nothing arrived while waiting for {what}", self.name))
    }

    /// The next frame within `wait`, if any.
    pub fn next_within(&self, wait: Duration) -> Option<Vec<u8>> {
        let ms = i64::try_from(wait.as_millis()).unwrap();
        if self.pull.poll(zmq::POLLIN, ms).unwrap() == 0 {
            return None;
        }
        Some(self.pull.recv_bytes(0).unwrap())
    }

    /// Sends `data` to `conn_id` (an empty `data` closes it).
    pub fn reply(&self, conn_id: u64, data: &[u8]) {
        let mut frame = Vec::new();
        reply::encode(DEFAULT_SEND_IDENT.as_bytes(), &[conn_id], data, &mut frame);
        self.publish.send(&frame[..], 0).unwrap();
    }

    /// Sends `X ctl` for `conn_id`.
    pub fn ctl(&self, conn_id: u64, ctl: &Ctl) {
        let mut frame = Vec::new();
        reply::encode_ctl(DEFAULT_SEND_IDENT.as_bytes(), &[conn_id], ctl, &mut frame);
        self.publish.send(&frame[..], 0).unwrap();
    }

    /// Where a path the handler was told lives in this test's filesystem.
    pub fn local(&self, told: &str) -> PathBuf {
        self.root.join(Path::new(told.trim_start_matches('/')))
    }
}

/// The conn id of a request frame.
pub fn conn_id(frame: &[u8]) -> u64 {
    request::decode(frame).unwrap().conn_id
}

/// A header value of a request frame.
pub fn header(frame: &[u8], key: &str) -> Option<String> {
    let req = request::decode(frame).unwrap();
    req.headers
        .get(key.as_bytes())
        .map(|v| String::from_utf8_lossy(v.first()).into_owned())
}

/// A frame with sender, conn id and the temp file's random characters made equal.
pub fn norm(frame: &[u8]) -> String {
    let text = String::from_utf8_lossy(&normalise(frame)).into_owned();
    let marker = "mongrel2.upload.";
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(marker) {
        let end = (at + marker.len() + 6).min(rest.len());
        out.push_str(&rest[..at]);
        out.push_str("mongrel2.upload.XXXXXX");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Waits until `path` no longer exists.
pub fn wait_gone(path: &Path) {
    scale0_tests::wait::until(&format!("{} to be deleted", path.display()), EVENT, || {
        (!path.exists()).then_some(())
    })
    .unwrap();
}
