//! Mongrel2 serving static files: one host `localhost` with routes `/` and
//! `/static/` to a `Dir(base='site/')` in the peer's own directory (its
//! chroot when run as root), for differential tests of Scale0's `dir`
//! target against the same directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{listeners, Mongrel2, Options, SERVER_UUID, START_ATTEMPTS, START_DEADLINE};
use crate::{ports, wait};

/// The routes of the Dir peer, each to the same `Dir`.
pub const DIR_ROUTES: [&str; 2] = ["/", "/static/"];
/// The base, relative to the peer's directory.
pub const DIR_BASE: &str = "site/";
/// The `index_file` of the Dir.
pub const DIR_INDEX: &str = "index.html";
/// The `default_ctype` of the Dir.
pub const DIR_DEFAULT_CTYPE: &str = "text/plain";

impl Mongrel2 {
    /// Starts Mongrel2 with a Dir at `<dir>/site/` (see [`DIR_ROUTES`]).
    /// `populate` gets the peer's directory and fills `site/` (and anything
    /// around it, such as a file a symlink points to); it runs once per
    /// start attempt, each in a fresh directory.
    pub fn start_dir(populate: &dyn Fn(&Path) -> anyhow::Result<()>) -> anyhow::Result<Mongrel2> {
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match start_dir_once(populate) {
                Ok(peer) => return Ok(peer),
                Err(e) => failures.push(format!("{e:#}")),
            }
        }
        anyhow::bail!(
            "Mongrel2 (dir) did not start in {START_ATTEMPTS} attempts:\n{}",
            failures.join("\n---\n")
        )
    }

    /// The served directory (`<dir>/site`).
    pub fn site(&self) -> PathBuf {
        self.dir().join(DIR_BASE)
    }
}

fn start_dir_once(populate: &dyn Fn(&Path) -> anyhow::Result<()>) -> anyhow::Result<Mongrel2> {
    let dir = tempfile::Builder::new().prefix("scale0-m2dir-").tempdir()?;
    for sub in ["run", "logs", "tmp", DIR_BASE] {
        std::fs::create_dir_all(dir.path().join(sub))?;
    }
    populate(dir.path())?;
    let p = ports::free_ports(1)?;
    let http_port = p[0];
    std::fs::write(dir.path().join("mongrel2.conf"), config_text(http_port))?;
    let load = Command::new("m2sh")
        .args(["load", "-config", "mongrel2.conf", "-db", "config.sqlite"])
        .current_dir(dir.path())
        .env(
            "LOGNAME",
            std::env::var("LOGNAME").unwrap_or_else(|_| "root".into()),
        )
        .output()?;
    anyhow::ensure!(
        load.status.success(),
        "m2sh load failed: {}{}",
        String::from_utf8_lossy(&load.stdout),
        String::from_utf8_lossy(&load.stderr)
    );
    let stderr = std::fs::File::create(dir.path().join("mongrel2.stderr"))?;
    let child = Command::new("mongrel2")
        .args(["config.sqlite", SERVER_UUID])
        .current_dir(dir.path())
        .env(
            "LOGNAME",
            std::env::var("LOGNAME").unwrap_or_else(|_| "root".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()?;
    let mut peer = Mongrel2 {
        child,
        dir,
        http_port,
        send_spec: String::new(),
        recv_spec: String::new(),
        options: Options::default(),
    };
    let pid = peer.child.id();
    let waited = wait::until(
        &format!("Mongrel2 to listen on port {http_port}"),
        START_DEADLINE,
        || {
            if let Ok(Some(status)) = peer.child.try_wait() {
                return Some(Err(anyhow::anyhow!("mongrel2 exited: {status}")));
            }
            listeners::owned_by(pid, http_port).then_some(Ok(()))
        },
    );
    match waited.and_then(|r| r) {
        Ok(()) => Ok(peer),
        Err(e) => Err(e.context(peer.logs())),
    }
}

fn config_text(http_port: u16) -> String {
    let routes = DIR_ROUTES
        .iter()
        .map(|route| format!("'{route}': site"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"site = Dir(base='{DIR_BASE}', index_file='{DIR_INDEX}', default_ctype='{DIR_DEFAULT_CTYPE}')
main = Server(uuid="{SERVER_UUID}", access_log="/logs/access.log", error_log="/logs/error.log",
    chroot="./", pid_file="/run/mongrel2.pid", default_host="localhost", name="peer",
    bind_addr="127.0.0.1", port={http_port},
    hosts=[Host(name="localhost", routes={{{routes}}})])
settings = {{"server.daemonize": "0"}}
servers = [main]
"#
    )
}
