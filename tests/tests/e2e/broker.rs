//! The broker's stories with real processes: a standalone `scale0 broker`, the gateway (in-process)
//! connected to it, and worker processes (`hello-worker`, `async-worker`, the Python `worker.py`).
//! Each story checks what an operator would: every request ends, with the status the docs promise,
//! and `scale0 ctl status` agrees.
//!
//! The stories run one at a time ([`story`]): each drives several processes and measures how work is
//! shared, which the other stories' load would distort on a small machine.

mod binary;
mod broker_restart;
mod capacity;
mod handlers;
mod load;
mod modes;
mod spread;
mod worker_loss;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use scale0_tests::gateway::Gateway;
use scale0_tests::procs::{Broker, Endpoints, Heartbeat, Worker};

use load::Answer;

/// Heartbeats of every broker, worker and gateway in these stories.
const HEARTBEAT: Heartbeat = Heartbeat::FAST;
/// The routes' reply deadline in most stories: above the time a dead worker takes to be noticed.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a freshly started stack may take to answer its first request with 200.
const SERVING_DEADLINE: Duration = Duration::from_secs(10);

/// One story at a time (a failed story poisons nothing: the guard is taken back).
fn story() -> MutexGuard<'static, ()> {
    static STORIES: Mutex<()> = Mutex::new(());
    STORIES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A gateway config with `/` → service `hello`, `/echo` → `echo`, `/nap` → `nap`, the routes' reply
/// deadline `reply_timeout`, and `broker` as the `[broker]` section's own keys.
fn config(reply_timeout: Duration, broker: &str) -> String {
    let reply_timeout = format!("{}ms", reply_timeout.as_millis());
    let mut text = format!(
        "[[listener]]\nbind = \"127.0.0.1:0\"\n\n[defaults]\nreply_timeout = \"{reply_timeout}\"\n\n\
         [[host]]\nname = \"localhost\"\ndefault = true\n"
    );
    for (path, service) in [("/", "hello"), ("/echo", "echo"), ("/nap", "nap")] {
        text += &format!("[[host.route]]\npath = \"{path}\"\ntarget = \"{service}\"\n");
    }
    for service in ["hello", "echo", "nap"] {
        text += &format!("\n[target.{service}]\ntype = \"service\"\nservice = \"{service}\"\n");
    }
    text + "\n[broker]\n" + broker + &HEARTBEAT.gateway_keys()
}

/// A standalone broker on ipc endpoints in a temp dir (which also holds every process's log) and the
/// gateway connected to it. Workers are started by the stories.
struct Stack {
    gateway: Gateway,
    broker: Broker,
    endpoints: Endpoints,
    dir: tempfile::TempDir,
}

impl Stack {
    /// Starts the broker, then the gateway with routes answering within `reply_timeout`.
    fn start(reply_timeout: Duration) -> Stack {
        let dir = tempfile::Builder::new()
            .prefix("scale0-broker-e2e-")
            .tempdir()
            .unwrap();
        let endpoints = Endpoints::ipc(dir.path());
        let broker = Broker::start(&endpoints, HEARTBEAT, dir.path()).unwrap();
        let link = format!("endpoint = \"{}\"\n", endpoints.gateways);
        let gateway = Gateway::start(&config(reply_timeout, &link)).unwrap();
        Stack {
            gateway,
            broker,
            endpoints,
            dir,
        }
    }

    /// A `hello-worker` named `identity`, registered with the broker.
    fn hello(&self, identity: &str, capacity: u32, work: Duration) -> Worker {
        let (broker, control) = (&self.endpoints.workers, &self.endpoints.control);
        Worker::hello(broker, control, identity, capacity, work, self.dir.path()).unwrap()
    }

    /// Waits until `path` is answered 200 (the gateway's link to the broker is up and a worker
    /// serves it).
    fn wait_serving(&self, path: &str) -> Answer {
        wait_serving(self.gateway.port(), path, || self.broker.logs())
    }
}

impl Drop for Stack {
    /// A failed story shows every process's log (they live in the temp dir, about to be removed).
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", logs(self.dir.path()));
        }
    }
}

/// The `*.log` files in `dir`, labelled.
fn logs(dir: &std::path::Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            format!(
                "--- {}\n{}",
                f.display(),
                std::fs::read_to_string(f).unwrap_or_default()
            )
        })
        .collect()
}

/// Sends GET `path` to the gateway on `port` until one is answered 200; fails with the answers seen
/// and `logs()`.
fn wait_serving(port: u16, path: &str, logs: impl Fn() -> String) -> Answer {
    let mut seen = Vec::new();
    scale0_tests::wait::until("a 200 through the gateway", SERVING_DEADLINE, || {
        let answer = load::send(port, load::Method::Get, path, b"");
        seen.push(answer.as_ref().map(|a| a.status).map_err(|e| e.to_string()));
        answer.ok().filter(|a| a.status == 200)
    })
    .unwrap_or_else(|e| panic!("{e}; answers {seen:?}; {}", logs()))
}
