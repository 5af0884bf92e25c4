//! Debian's Mongrel2 1.12 as a reference peer on loopback, for differential
//! tests: the same request through Mongrel2 and through Scale0, the same handler.
//!
//! The peer runs in a temp dir (its chroot when run as root) with a config made
//! by `m2sh load`; Mongrel2 binds PUSH at `send_spec` and SUB at `recv_spec`,
//! handlers connect. It is stopped (SIGTERM, then SIGKILL) when dropped.
//! Handlers attach with [`Mongrel2::connect_handler`] or [`RecordingHandler`],
//! both of which wait out the ZeroMQ slow joiner with a [`handshake`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::wait;

mod dir;
mod handler;
mod launch;
mod listeners;
mod proxy;

pub use dir::{DIR_BASE, DIR_DEFAULT_CTYPE, DIR_INDEX, DIR_ROUTES};

pub use handler::{handshake, recv_within, Answer, RecordingHandler, PROBE_PATH, READY_DEADLINE};

/// How long Mongrel2 may take to listen on its ports (one attempt).
const START_DEADLINE: Duration = Duration::from_secs(15);
/// Starts tried at fresh ports before giving up.
const START_ATTEMPTS: usize = 3;
/// How long Mongrel2 may take to stop after SIGTERM before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(5);
/// Sender UUID used by default (the one in the captures).
pub const DEFAULT_SEND_IDENT: &str = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378";
const SERVER_UUID: &str = "f400bf85-4538-4f7a-8908-67e313d515c2";

/// What to start.
#[derive(Clone, Debug)]
pub struct Options {
    /// `json` or `tnetstring`.
    pub protocol: String,
    /// The handler's `send_ident` (the SENDER field of requests).
    pub send_ident: String,
    /// The handler's `recv_ident` (SUB prefix filter).
    pub recv_ident: String,
    /// Extra `settings` entries, e.g. `("limits.content_length", "2048")`.
    pub settings: Vec<(String, String)>,
    /// Route paths sent to the handler besides `/`, e.g. `@chat` for a JSON socket.
    pub handler_routes: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            protocol: "json".into(),
            send_ident: DEFAULT_SEND_IDENT.into(),
            recv_ident: String::new(),
            settings: Vec::new(),
            handler_routes: Vec::new(),
        }
    }
}

/// A running Mongrel2.
pub struct Mongrel2 {
    child: Child,
    dir: tempfile::TempDir,
    /// HTTP port on 127.0.0.1.
    pub http_port: u16,
    /// Where handlers connect a PULL socket (Mongrel2's PUSH).
    pub send_spec: String,
    /// Where handlers connect a PUB socket (Mongrel2's SUB).
    pub recv_spec: String,
    /// The options it was started with.
    pub options: Options,
}

impl Mongrel2 {
    /// Starts Mongrel2 with one host `localhost` routing `/` (and
    /// `options.handler_routes`) to one handler on two tcp ports of its own.
    pub fn start(options: Options) -> anyhow::Result<Mongrel2> {
        let spec = |port: u16| format!("tcp://127.0.0.1:{port}");
        let prepare =
            |_: &Path, p: &[u16]| Ok(config_text(&options, p[0], &spec(p[1]), &spec(p[2])));
        let finish = |peer: &mut Mongrel2, p: &[u16]| {
            peer.send_spec = spec(p[1]);
            peer.recv_spec = spec(p[2]);
            peer.options = options.clone();
        };
        launch::start("Mongrel2", "scale0-m2peer-", 3, &prepare, &finish)
    }

    /// The peer's working directory (its chroot when run as root).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Mongrel2's stderr and error log, for failure messages.
    pub fn logs(&self) -> String {
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        format!(
            "mongrel2 stderr:\n{}\nerror.log:\n{}",
            read(self.dir.path().join("mongrel2.stderr")),
            read(self.dir.path().join("logs/error.log"))
        )
    }
}

impl Drop for Mongrel2 {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _terminate = Command::new("kill").args(["-TERM", &pid]).status();
        let stopped = wait::until("Mongrel2 to stop", STOP_DEADLINE, || {
            matches!(self.child.try_wait(), Ok(Some(_))).then_some(())
        });
        if stopped.is_err() {
            let _kill = self.child.kill();
            let _reap = self.child.wait();
        }
    }
}

fn config_text(o: &Options, http_port: u16, send_spec: &str, recv_spec: &str) -> String {
    let mut settings = String::from("\"server.daemonize\": \"0\"");
    for (k, v) in &o.settings {
        let _infallible = write!(settings, ", \"{k}\": \"{v}\"");
    }
    let mut routes = String::from("'/': handler");
    for path in &o.handler_routes {
        let _infallible = write!(routes, ", '{path}': handler");
    }
    format!(
        r#"handler = Handler(send_spec='{send_spec}', send_ident='{send_ident}',
                  recv_spec='{recv_spec}', recv_ident='{recv_ident}', protocol='{protocol}')
main = Server(uuid="{SERVER_UUID}", access_log="/logs/access.log", error_log="/logs/error.log",
    chroot="./", pid_file="/run/mongrel2.pid", default_host="localhost", name="peer",
    bind_addr="127.0.0.1", port={http_port},
    hosts=[Host(name="localhost", routes={{{routes}}})])
settings = {{{settings}}}
servers = [main]
"#,
        send_ident = o.send_ident,
        recv_ident = o.recv_ident,
        protocol = o.protocol,
    )
}

/// Full path of `tool` on PATH.
pub fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    })
}
