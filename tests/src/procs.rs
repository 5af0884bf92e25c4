//! Scale0's own programs as real processes: the `scale0` binary as a standalone broker
//! ([`Broker`]) and as `scale0 ctl` ([`status`]), and workers ([`Worker`]): the example binaries
//! `hello-worker` and `async-worker`, and `workers-examples/python/worker.py`.
//!
//! The test binary cannot count on cargo having built the binaries, so the first [`binary`] call
//! builds them (`$CARGO build --bin …`, once per test process) into the same target dir as the tests.
//! Every process writes stdout and stderr to a log file in a directory the test owns (shown in
//! failure messages), is ready only when the broker says so (a broker: its control socket answers
//! `status`; a worker: `scale0 ctl status` lists it), and is killed when dropped.

mod broker;
mod process;
mod worker;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

pub use broker::{status, worker_identities, Broker, Endpoints, Heartbeat};
pub use process::Process;
pub use worker::Worker;

/// The binaries [`binary`] builds, all at once.
pub const BINARIES: [&str; 4] = ["scale0", "hello-worker", "async-worker", "ws-echo-worker"];

/// The directory holding the built [`BINARIES`], or why building them failed (once per process).
static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// Path of one of [`BINARIES`], building them on first use. Building is cheap when they are up to date.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(
        BINARIES.contains(&name),
        "{name} is not one of {BINARIES:?}"
    );
    let dir = BUILT
        .get_or_init(|| build().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)?;
    Ok(dir.join(name))
}

/// Target dir of the tests: `CARGO_TARGET_DIR` when set (a relative one is taken from the workspace
/// root), else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    let root = crate::repo_root();
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| root.join("target"))
}

/// Runs `$CARGO build --bin …` for [`BINARIES`] (`cargo` when the tests were not started by cargo)
/// and returns the directory they land in.
fn build() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = target_dir();
    let mut command = Command::new(cargo);
    command
        .current_dir(crate::repo_root())
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--quiet"]);
    for name in BINARIES {
        command.args(["--bin", name]);
    }
    let out = command.output()?;
    anyhow::ensure!(
        out.status.success(),
        "building {BINARIES:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = target.join("debug");
    for name in BINARIES {
        anyhow::ensure!(
            dir.join(name).is_file(),
            "{name} not found in {} after building",
            dir.display()
        );
    }
    Ok(dir)
}
