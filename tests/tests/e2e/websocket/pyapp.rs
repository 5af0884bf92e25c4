//! One of Mongrel2's Debian example applications (Python 2) run on Python 3: its source is read
//! from `/usr/share/doc/mongrel2-core/examples`, changed only by listed textual fixes (each must
//! apply exactly once, so a changed Debian file fails loudly), written with Mongrel2's py3-fixed
//! handler library into a temp dir, and run there with Debian's python3.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use scale0_tests::python::{install_library, PYTHON};

use super::EVENT;

/// A running example application; killed when dropped.
pub(super) struct PyApp {
    name: String,
    child: Child,
    lines: mpsc::Receiver<String>,
    dir: tempfile::TempDir,
}

impl PyApp {
    /// Runs `script` (with the `helpers` beside it copied too) after applying `fixes`.
    pub(super) fn start(script: &Path, helpers: &[&Path], fixes: &[(&str, &str)]) -> PyApp {
        let name = script.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        install_library(dir.path()).unwrap();
        for helper in helpers {
            std::fs::copy(helper, dir.path().join(helper.file_name().unwrap())).unwrap();
        }
        let mut source = std::fs::read_to_string(script).unwrap();
        for (from, to) in fixes {
            assert_eq!(source.matches(from).count(), 1, "{name} changed: {from}");
            source = source.replace(from, to);
        }
        std::fs::write(dir.path().join(&name), source).unwrap();
        let mut child = Command::new(PYTHON)
            .arg(&name)
            .current_dir(dir.path())
            .env("PYTHONPATH", dir.path())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
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
        PyApp {
            name,
            child,
            lines,
            dir,
        }
    }

    /// Waits for a stdout line starting with `prefix`.
    pub(super) fn expect(&self, prefix: &str) {
        loop {
            let line = self.lines.recv_timeout(EVENT).unwrap_or_else(|_| {
                panic!(
                    "{} printed no {prefix:?} line within {EVENT:?}; {}",
                    self.name,
                    self.logs()
                )
            });
            if line.starts_with(prefix) {
                return;
            }
        }
    }

    /// The application's stderr, for failure messages.
    pub(super) fn logs(&self) -> String {
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
