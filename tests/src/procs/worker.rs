//! Worker processes: the example workers (`hello-worker`, `async-worker`, the Python `worker.py`),
//! ready once the broker lists them in `scale0 ctl status`.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::broker::{status, worker_identities};
use super::process::Process;

/// How long a worker may take to be listed by the broker (the Python one starts slowest).
pub const READY_DEADLINE: Duration = Duration::from_secs(15);

/// A running worker process registered with a broker.
pub struct Worker {
    identity: String,
    process: Process,
}

impl Worker {
    /// `hello-worker` (services `hello` and `echo`) named `identity` (its routing identity and its
    /// `X-Worker` response header), serving `capacity` requests at once, each taking `work`.
    pub fn hello(
        broker: &str,
        control: &str,
        identity: &str,
        capacity: u32,
        work: Duration,
        log_dir: &Path,
    ) -> anyhow::Result<Worker> {
        let mut command = Command::new(super::binary("hello-worker")?);
        command.args(["--broker", broker, "--identity", identity]);
        command.args(["--capacity", &capacity.to_string()]);
        command.args(["--work-ms", &work.as_millis().to_string()]);
        Worker::start(identity, command, control, Some(identity), log_dir)
    }

    /// `async-worker` serving `service` (each request naps `?ms=`) with `capacity` requests at once;
    /// ZeroMQ chooses its identity. `name` names its log.
    pub fn nap(
        name: &str,
        broker: &str,
        control: &str,
        service: &str,
        capacity: u32,
        log_dir: &Path,
    ) -> anyhow::Result<Worker> {
        let mut command = Command::new(super::binary("async-worker")?);
        command.args(["--broker", broker, "--service", service]);
        command.args(["--capacity", &capacity.to_string()]);
        Worker::start(name, command, control, None, log_dir)
    }

    /// `workers-examples/python/worker.py` (services `hello` and `echo`, capacity 1) on Debian's
    /// python3, the one with pyzmq.
    pub fn python(
        name: &str,
        broker: &str,
        control: &str,
        log_dir: &Path,
    ) -> anyhow::Result<Worker> {
        let script = crate::repo_root().join("workers-examples/python/worker.py");
        let mut command = Command::new(crate::python::PYTHON);
        command.arg(script).args([broker, "hello", "echo"]);
        command.env("PYTHONDONTWRITEBYTECODE", "1");
        Worker::start(name, command, control, None, log_dir)
    }

    /// Spawns `command` (log `log_dir/<name>.log`) and waits until the broker whose control socket is
    /// `control` lists it: as `identity` when given, else as a worker it did not list before.
    pub fn start(
        name: &str,
        command: Command,
        control: &str,
        identity: Option<&str>,
        log_dir: &Path,
    ) -> anyhow::Result<Worker> {
        let before: HashSet<String> = worker_identities(&status(control)?).into_iter().collect();
        let mut process = Process::spawn(name, command, log_dir)?;
        let start = Instant::now();
        let identity = loop {
            process.ensure_running()?;
            let listed = worker_identities(&status(control)?);
            let found = match identity {
                Some(wanted) => listed.into_iter().find(|id| id == wanted),
                None => listed.into_iter().find(|id| !before.contains(id)),
            };
            if let Some(found) = found {
                break found;
            }
            anyhow::ensure!(
                start.elapsed() < READY_DEADLINE,
                "the broker at {control} does not list worker {name} after {READY_DEADLINE:?}; {}",
                process.logs()
            );
        };
        Ok(Worker { identity, process })
    }

    /// The identity the broker knows it by (as `scale0 ctl` shows it).
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The process (to kill it, stop it, read its log).
    pub fn process(&mut self) -> &mut Process {
        &mut self.process
    }

    /// The worker's log, for failure messages.
    pub fn logs(&self) -> String {
        self.process.logs()
    }
}
