//! Mongrel2 as a reverse proxy: one host `localhost` whose route `/` is a
//! `Proxy(addr='127.0.0.1', port=N)`, for differential tests of Scale0's
//! `proxy` target against the same upstream.

use std::process::{Command, Stdio};

use super::{listeners, Mongrel2, Options, SERVER_UUID, START_ATTEMPTS, START_DEADLINE};
use crate::{ports, wait};

impl Mongrel2 {
    /// Starts Mongrel2 proxying every path to 127.0.0.1:`upstream_port`.
    pub fn start_proxy(upstream_port: u16) -> anyhow::Result<Mongrel2> {
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match start_once(upstream_port) {
                Ok(peer) => return Ok(peer),
                Err(e) => failures.push(format!("{e:#}")),
            }
        }
        anyhow::bail!(
            "Mongrel2 (proxy) did not start in {START_ATTEMPTS} attempts:\n{}",
            failures.join("\n---\n")
        )
    }
}

fn start_once(upstream_port: u16) -> anyhow::Result<Mongrel2> {
    let dir = tempfile::Builder::new()
        .prefix("scale0-m2proxy-")
        .tempdir()?;
    for sub in ["run", "logs", "tmp"] {
        std::fs::create_dir_all(dir.path().join(sub))?;
    }
    let http_port = ports::free_port()?;
    std::fs::write(
        dir.path().join("mongrel2.conf"),
        config_text(http_port, upstream_port),
    )?;
    let logname = std::env::var("LOGNAME").unwrap_or_else(|_| "root".into());
    let load = Command::new("m2sh")
        .args(["load", "-config", "mongrel2.conf", "-db", "config.sqlite"])
        .current_dir(dir.path())
        .env("LOGNAME", &logname)
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
        .env("LOGNAME", &logname)
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

fn config_text(http_port: u16, upstream_port: u16) -> String {
    format!(
        r#"up = Proxy(addr='127.0.0.1', port={upstream_port})
main = Server(uuid="{SERVER_UUID}", access_log="/logs/access.log", error_log="/logs/error.log",
    chroot="./", pid_file="/run/mongrel2.pid", default_host="localhost", name="peer",
    bind_addr="127.0.0.1", port={http_port},
    hosts=[Host(name="localhost", routes={{'/': up}})])
settings = {{"server.daemonize": "0"}}
servers = [main]
"#
    )
}
