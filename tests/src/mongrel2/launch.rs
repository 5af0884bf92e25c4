//! Starting a Mongrel2 peer, whatever its site: a fresh temp dir (its chroot
//! when run as root) with `run/`, `logs/` and `tmp/`, a config written there
//! and loaded with `m2sh load`, then `mongrel2` started and waited for until
//! it listens on every port it was given. Ports are picked free and released
//! before Mongrel2 binds them, so a parallel test can take one in between:
//! each start is tried [`START_ATTEMPTS`] times at fresh ports.

use std::path::Path;
use std::process::{Command, Stdio};

use super::{listeners, Mongrel2, Options, SERVER_UUID, START_ATTEMPTS, START_DEADLINE};
use crate::{ports, wait};

/// What a site needs from a start: `prepare` gets the peer's directory and
/// its ports (the first is the HTTP port), fills the directory if it needs
/// to, and returns the m2sh config text.
pub(super) type Prepare<'a> = &'a dyn Fn(&Path, &[u16]) -> anyhow::Result<String>;

/// Starts a peer named `what` (for errors) in a temp dir prefixed `prefix`,
/// with `port_count` free ports; `finish` completes the peer's fields (specs,
/// options) from its ports before it is returned.
pub(super) fn start(
    what: &str,
    prefix: &str,
    port_count: usize,
    prepare: Prepare<'_>,
    finish: &dyn Fn(&mut Mongrel2, &[u16]),
) -> anyhow::Result<Mongrel2> {
    for tool in ["mongrel2", "m2sh"] {
        anyhow::ensure!(
            super::which(tool).is_some(),
            "{tool} not found: install Debian's mongrel2-core (scripts/setup does)"
        );
    }
    let mut failures = Vec::new();
    for _ in 0..START_ATTEMPTS {
        match start_once(prefix, port_count, prepare) {
            Ok((mut peer, ports)) => {
                finish(&mut peer, &ports);
                return Ok(peer);
            }
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    anyhow::bail!(
        "{what} did not start in {START_ATTEMPTS} attempts:\n{}",
        failures.join("\n---\n")
    )
}

fn start_once(
    prefix: &str,
    port_count: usize,
    prepare: Prepare<'_>,
) -> anyhow::Result<(Mongrel2, Vec<u16>)> {
    let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
    for sub in ["run", "logs", "tmp"] {
        std::fs::create_dir_all(dir.path().join(sub))?;
    }
    let ports = ports::free_ports(port_count)?;
    let http_port = *ports
        .first()
        .ok_or_else(|| anyhow::anyhow!("a peer needs at least its HTTP port"))?;
    let config = prepare(dir.path(), &ports)?;
    std::fs::write(dir.path().join("mongrel2.conf"), config)?;
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
        &format!("Mongrel2 to listen on ports {ports:?}"),
        START_DEADLINE,
        || {
            if let Ok(Some(status)) = peer.child.try_wait() {
                return Some(Err(anyhow::anyhow!("mongrel2 exited: {status}")));
            }
            ports
                .iter()
                .all(|&port| listeners::owned_by(pid, port))
                .then_some(Ok(()))
        },
    );
    match waited.and_then(|r| r) {
        Ok(()) => Ok((peer, ports)),
        Err(e) => Err(e.context(peer.logs())),
    }
}
