//! One of Mongrel2's Debian example applications (Python 2) run on Python 3: its source is read
//! from `/usr/share/doc/mongrel2-core/examples`, changed only by listed textual fixes (each must
//! apply exactly once, so a changed Debian file fails loudly), written with Mongrel2's py3-fixed
//! handler library into a temp dir, and run there with Debian's python3.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use std::time::Duration;

use super::{install_library, PYTHON};

/// How long an example may take to print an expected line.
const EVENT: Duration = Duration::from_secs(10);

/// A running example application; killed when dropped.
pub struct PyApp {
    name: String,
    child: Child,
    lines: mpsc::Receiver<String>,
    dir: tempfile::TempDir,
}

impl PyApp {
    /// Runs `script` (with the `helpers` beside it copied too) after applying `fixes`.
    pub fn start(
        script: &Path,
        helpers: &[&Path],
        fixes: &[(&str, &str)],
    ) -> anyhow::Result<PyApp> {
        let file_name = |p: &Path| {
            p.file_name()
                .ok_or_else(|| anyhow::anyhow!("{} has no file name", p.display()))
                .map(|n| n.to_owned())
        };
        let name = file_name(script)?.to_string_lossy().into_owned();
        let dir = tempfile::tempdir()?;
        install_library(dir.path())?;
        for helper in helpers {
            std::fs::copy(helper, dir.path().join(file_name(helper)?))?;
        }
        let mut source = std::fs::read_to_string(script)?;
        for (from, to) in fixes {
            let found = source.matches(from).count();
            anyhow::ensure!(
                found == 1,
                "{name} changed: expected {from:?} once, found it {found} times"
            );
            source = source.replace(from, to);
        }
        std::fs::write(dir.path().join(&name), source)?;
        let mut child = Command::new(PYTHON)
            .arg(&name)
            .current_dir(dir.path())
            .env("PYTHONPATH", dir.path())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("stderr"))?)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("{name} has no stdout pipe"))?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(PyApp {
            name,
            child,
            lines,
            dir,
        })
    }

    /// Waits for a stdout line starting with `prefix` and returns it.
    pub fn expect(&self, prefix: &str) -> anyhow::Result<String> {
        let end = std::time::Instant::now() + EVENT;
        loop {
            let left = end.saturating_duration_since(std::time::Instant::now());
            let Ok(line) = self.lines.recv_timeout(left) else {
                anyhow::bail!(
                    "{} printed no {prefix:?} line within {EVENT:?}; {}",
                    self.name,
                    self.logs()
                );
            };
            if line.starts_with(prefix) {
                return Ok(line);
            }
        }
    }

    /// The application's stderr, for failure messages.
    pub fn logs(&self) -> String {
        let stderr = std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default();
        format!("{} stderr:\n{stderr}", self.name)
    }
}

impl Drop for PyApp {
    fn drop(&mut self) {
        let _already_gone = self.child.kill();
        let _reaped = self.child.wait();
    }
}
