//! Mongrel2's own Python handler library as a peer: Debian ships it (Python 2
//! code) with mongrel2-core; at test time `tests/python/py3fix.py` writes a
//! Python 3 copy of it into a temp dir, and [`Handler`] runs
//! `tests/python/m2_hello.py` on it with Debian's python3 (the one with pyzmq),
//! so an unchanged Mongrel2 application serves requests through Scale0.
//!
//! The handler reports what it sees as lines on stdout (`request ID PATH`,
//! `disconnect ID`), which tests wait for with [`Handler::expect_line`]. It is
//! killed when dropped.

mod app;

pub use app::PyApp;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Debian's python3 (the `python3` first on PATH may lack pyzmq).
pub const PYTHON: &str = "/usr/bin/python3";
/// Where mongrel2-core installs Mongrel2's Python handler library.
pub const M2_LIBRARY: &str = "/usr/share/doc/mongrel2-core/examples/python/mongrel2";
/// Stdout lines kept for a test that has not read them yet; the handler
/// prints one per request or notice, so a test never comes near it.
const LINE_QUEUE: usize = 1024;

/// Our Python helper scripts (`tests/python`).
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Writes the Python 3 copy of Mongrel2's library into `dest` (as the package
/// `dest/mongrel2`), so `dest` can go on `PYTHONPATH`.
pub fn install_library(dest: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        Path::new(PYTHON).is_file() && Path::new(M2_LIBRARY).is_dir(),
        "{PYTHON} or {M2_LIBRARY} missing: install python3-zmq and mongrel2-core (scripts/setup does)"
    );
    let out = Command::new(PYTHON)
        .arg(scripts_dir().join("py3fix.py"))
        .args([Path::new(M2_LIBRARY), dest])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "py3fix.py failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// A running `m2_hello.py` handler.
pub struct Handler {
    child: Child,
    dir: tempfile::TempDir,
    lines: mpsc::Receiver<String>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Handler {
    /// Installs the library in a temp dir and starts `m2_hello.py` connected
    /// to a server's `send_spec` (PULL) and `recv_spec` (PUB), with
    /// `sender_id` as its PUB identity.
    pub fn start(sender_id: &str, send_spec: &str, recv_spec: &str) -> anyhow::Result<Handler> {
        let dir = tempfile::Builder::new().prefix("scale0-m2py-").tempdir()?;
        install_library(dir.path())?;
        let stderr = std::fs::File::create(dir.path().join("stderr"))?;
        let mut child = Command::new(PYTHON)
            .arg(scripts_dir().join("m2_hello.py"))
            .args([sender_id, send_spec, recv_spec])
            .env("PYTHONPATH", dir.path())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("m2_hello.py has no stdout pipe"))?;
        let (tx, lines) = mpsc::sync_channel(LINE_QUEUE);
        let reader = std::thread::Builder::new()
            .name("m2_hello-stdout".into())
            .spawn(move || {
                for line in std::io::BufReader::new(stdout).lines() {
                    let Ok(line) = line else { return };
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Handler {
            child,
            dir,
            lines,
            reader: Some(reader),
        })
    }

    /// Waits up to `deadline` for a stdout line accepted by `wanted`, skipping
    /// the others; fails naming `what` and the handler's stderr.
    pub fn expect_line(
        &self,
        what: &str,
        deadline: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let end = Instant::now() + deadline;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return Ok(line),
                Ok(_) => {}
                Err(_) => anyhow::bail!(
                    "m2_hello.py printed no {what} within {deadline:?}; {}",
                    self.logs()
                ),
            }
        }
    }

    /// The handler's stderr (tracebacks), for failure messages.
    pub fn logs(&self) -> String {
        let stderr = std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default();
        format!("m2_hello.py stderr:\n{stderr}")
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        let _already_gone = self.child.kill();
        let _reaped = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _reader_ended = reader.join();
        }
    }
}
