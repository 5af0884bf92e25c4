//! One child process with its output in a log file: stopped gracefully ([`Process::terminate`]),
//! abruptly ([`Process::kill9`]), or killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

/// How long [`Process::kill9`] and the drop wait for the kernel to reap a killed process.
const REAP_DEADLINE: Duration = Duration::from_secs(5);

/// A running child process.
pub struct Process {
    name: String,
    child: Child,
    log: PathBuf,
    status: Option<ExitStatus>,
}

impl Process {
    /// Spawns `command` with stdin closed and stdout and stderr appended to `<log_dir>/<name>.log`.
    pub fn spawn(name: &str, mut command: Command, log_dir: &Path) -> anyhow::Result<Process> {
        let log = log_dir.join(format!("{name}.log"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {name} ({command:?}): {e}"))?;
        Ok(Process {
            name: name.to_owned(),
            child,
            log,
            status: None,
        })
    }

    /// The name given at spawn (log file name, failure messages).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The operating system's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status once the process has ended (reaping it), `None` while it runs.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Fails (with the log) if the process has ended: for readiness loops, so a process that died at
    /// start fails the test at once instead of at the deadline.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        match self.exited() {
            Some(status) => anyhow::bail!("{} exited ({status}); {}", self.name, self.logs()),
            None => Ok(()),
        }
    }

    /// SIGKILL, then waits until the process is gone: it gets no chance to say goodbye to anyone.
    pub fn kill9(&mut self) -> anyhow::Result<ExitStatus> {
        if self.exited().is_none() {
            self.child.kill()?;
        }
        self.wait_exit(REAP_DEADLINE)
    }

    /// SIGTERM (a graceful stop: the example workers drain, the broker stops), then waits up to
    /// `deadline` for the exit; a process still running then is killed and this fails.
    pub fn terminate(&mut self, deadline: Duration) -> anyhow::Result<ExitStatus> {
        if let Some(status) = self.exited() {
            return Ok(status);
        }
        let sent = Command::new("kill")
            .args(["-TERM", &self.id().to_string()])
            .status()?;
        anyhow::ensure!(sent.success(), "kill -TERM {} failed", self.id());
        match self.wait_exit(deadline) {
            Ok(status) => Ok(status),
            Err(e) => {
                let _killed = self.kill9();
                Err(e)
            }
        }
    }

    /// The log file's contents, labelled, for failure messages.
    pub fn logs(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!("{} log ({}):\n{text}", self.name, self.log.display())
    }

    fn wait_exit(&mut self, deadline: Duration) -> anyhow::Result<ExitStatus> {
        let what = format!("{} (pid {}) to exit", self.name, self.id());
        crate::wait::until(&what, deadline, || self.exited())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _already_gone = self.child.kill();
            let _reaped = self.child.wait();
        }
    }
}
