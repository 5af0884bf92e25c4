//! `scale0 broker` as a process, and `scale0 ctl status` to ask it (or a gateway's embedded broker)
//! what it knows.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::process::Process;

/// How long a broker may take to answer its first `status`.
pub const READY_DEADLINE: Duration = Duration::from_secs(15);

/// The three sockets of a standalone broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Where workers connect (`--workers`).
    pub workers: String,
    /// Where gateways connect (`--gateways`; a gateway's `[broker] endpoint`).
    pub gateways: String,
    /// Where `scale0 ctl` connects (`--control`).
    pub control: String,
}

impl Endpoints {
    /// ipc endpoints in `dir` (a test's temp dir): nothing to collide with, reusable by a restarted
    /// broker.
    pub fn ipc(dir: &Path) -> Endpoints {
        let at = |name: &str| format!("ipc://{}/{name}", dir.display());
        Endpoints {
            workers: at("workers"),
            gateways: at("gateways"),
            control: at("control"),
        }
    }

    /// tcp endpoints on 127.0.0.1, on ports free when picked.
    pub fn tcp() -> anyhow::Result<Endpoints> {
        let ports = crate::ports::free_ports(3)?;
        let at = |i: usize| format!("tcp://127.0.0.1:{}", ports[i]);
        Ok(Endpoints {
            workers: at(0),
            gateways: at(1),
            control: at(2),
        })
    }
}

/// The broker's heartbeat timing, which workers adopt; gateways are configured with the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// `--heartbeat-ms`.
    pub interval_ms: u64,
    /// `--liveness`: silent intervals before a peer counts as dead.
    pub liveness: u32,
}

impl Heartbeat {
    /// Deaths noticed within half a second, with five beats of slack for a busy test machine.
    pub const FAST: Heartbeat = Heartbeat {
        interval_ms: 100,
        liveness: 5,
    };

    /// The same timing as keys of a gateway's `[broker]` section.
    pub fn gateway_keys(&self) -> String {
        format!(
            "heartbeat_interval = \"{}ms\"\nliveness = {}\n",
            self.interval_ms, self.liveness
        )
    }

    /// How long a silent peer takes to be declared dead.
    pub fn death_time(&self) -> Duration {
        Duration::from_millis(self.interval_ms.saturating_mul(u64::from(self.liveness)))
    }
}

/// A running `scale0 broker`.
pub struct Broker {
    endpoints: Endpoints,
    process: Process,
}

impl Broker {
    /// Starts `scale0 broker` on `endpoints` with `heartbeat` (log in `log_dir/broker.log`, appended to
    /// by a restarted broker) and waits until its control socket answers `status`.
    pub fn start(
        endpoints: &Endpoints,
        heartbeat: Heartbeat,
        log_dir: &Path,
    ) -> anyhow::Result<Broker> {
        let mut command = Command::new(super::binary("scale0")?);
        command.args(["broker", "--workers", &endpoints.workers]);
        command.args(["--gateways", &endpoints.gateways]);
        command.args(["--control", &endpoints.control]);
        command.args(["--heartbeat-ms", &heartbeat.interval_ms.to_string()]);
        command.args(["--liveness", &heartbeat.liveness.to_string()]);
        let mut process = Process::spawn("broker", command, log_dir)?;
        let start = Instant::now();
        loop {
            process.ensure_running()?;
            match status(&endpoints.control) {
                Ok(_) => break,
                Err(e) if start.elapsed() > READY_DEADLINE => {
                    anyhow::bail!("broker not ready: {e:#}; {}", process.logs())
                }
                Err(_) => continue,
            }
        }
        Ok(Broker {
            endpoints: endpoints.clone(),
            process,
        })
    }

    /// Its endpoints.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// `scale0 ctl status` of this broker.
    pub fn status(&self) -> anyhow::Result<serde_json::Value> {
        status(&self.endpoints.control)
    }

    /// The process (to kill it, stop it, read its log).
    pub fn process(&mut self) -> &mut Process {
        &mut self.process
    }

    /// The broker's log, for failure messages.
    pub fn logs(&self) -> String {
        self.process.logs()
    }
}

/// Runs `scale0 ctl --endpoint CONTROL status --json`, as an operator would, and returns the parsed
/// status (services, workers, gateways, counters). Waits at most the CLI's own timeout (5 s).
pub fn status(control: &str) -> anyhow::Result<serde_json::Value> {
    let out = Command::new(super::binary("scale0")?)
        .args(["ctl", "--endpoint", control, "status", "--json"])
        .env("RUST_LOG", "warn")
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "scale0 ctl status failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The identities of the workers a status lists, as `scale0 ctl` shows them.
pub fn worker_identities(status: &serde_json::Value) -> Vec<String> {
    status["workers"]
        .as_array()
        .map(|workers| {
            workers
                .iter()
                .filter_map(|w| w["identity"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{Endpoints, Heartbeat};

    #[test]
    fn fast_heartbeats_read_as_gateway_keys_and_a_death_time() {
        let keys = Heartbeat::FAST.gateway_keys();
        assert_eq!(keys, "heartbeat_interval = \"100ms\"\nliveness = 5\n");
        assert_eq!(Heartbeat::FAST.death_time().as_millis(), 500);
    }

    #[test]
    fn ipc_endpoints_are_distinct_sockets_in_the_directory() {
        let endpoints = Endpoints::ipc(std::path::Path::new("/tmp/x"));
        assert_eq!(endpoints.workers, "ipc:///tmp/x/workers");
        assert_eq!(endpoints.gateways, "ipc:///tmp/x/gateways");
        assert_eq!(endpoints.control, "ipc:///tmp/x/control");
    }
}
