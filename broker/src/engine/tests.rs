//! Engine tests on injected time: a harness that plays workers and one gateway (`gw-1`) and reads back the
//! actions, so each test reads as a story. Time is `t0 + offset`; nothing sleeps.

mod cancel;
mod control;
mod failures;
mod handlers;
mod liveness;
mod lru;
mod queueing;
mod replies;
mod versions;
mod wire;

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Action, Config, Engine, Event};
use crate::envelope;
use crate::protocol::gateway::FailReason;
use crate::protocol::{Command, RequestId, ServiceName};

const GW: &[u8] = b"gw-1";

/// The engine plus a clock and the actions of the last call.
struct Harness {
    engine: Engine,
    t0: Instant,
    now: Instant,
}

/// A REQUEST the engine sent.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    worker: String,
    id: RequestId,
    conn: u32,
}

/// A FAIL the engine emitted.
#[derive(Debug, Clone, PartialEq)]
struct Failed {
    request: u64,
    status: u16,
    retry_after: Option<Duration>,
    reason: FailReason,
}

impl Harness {
    fn new() -> Self {
        Self::with(Config::default())
    }

    fn with(config: Config) -> Self {
        let t0 = Instant::now();
        Harness {
            engine: Engine::new(config).unwrap(),
            t0,
            now: t0,
        }
    }

    fn handle(&mut self, event: Event<'_>) -> Vec<Action> {
        let mut out = Vec::new();
        self.engine.handle(event, self.now, &mut out);
        out
    }

    /// Moves the clock to `t0 + millis` and ticks.
    fn at(&mut self, millis: u64) -> Vec<Action> {
        self.now = self.t0 + Duration::from_millis(millis);
        let mut out = Vec::new();
        self.engine.tick(self.now, &mut out);
        out
    }

    fn ready(&mut self, worker: &str, services: &[&str], capacity: u32) -> Vec<Action> {
        let services: Vec<ServiceName> = services
            .iter()
            .map(|s| ServiceName::new(s.as_bytes()).unwrap())
            .collect();
        self.handle(Event::WorkerReady {
            worker: worker.as_bytes(),
            services: &services,
            capacity,
        })
    }

    /// Submits request `id` (conn id = `id`, idempotent, default deadline).
    fn submit(&mut self, id: u64, service: &str) -> Vec<Action> {
        self.submit_with(id, service, true, None)
    }

    fn submit_with(
        &mut self,
        id: u64,
        service: &str,
        idempotent: bool,
        deadline_ms: Option<u64>,
    ) -> Vec<Action> {
        let deadline = deadline_ms.map(|ms| self.now + Duration::from_millis(ms));
        let payload = json_payload(u32::try_from(id).unwrap());
        self.handle(Event::Submit {
            gateway: GW,
            request: id,
            service,
            payload,
            deadline,
            idempotent,
        })
    }

    fn done(&mut self, worker: &str, id: RequestId) -> Vec<Action> {
        self.handle(Event::WorkerDone {
            worker: worker.as_bytes(),
            request: id,
        })
    }

    /// The worker replies to `gw-1` for the given conn ids.
    fn reply(&mut self, worker: &str, conns: &[u32]) -> Vec<Action> {
        let ids: Vec<String> = conns.iter().map(u32::to_string).collect();
        let ids = ids.join(" ");
        let reply = Bytes::from(format!(
            "gw-1 {}:{}, HTTP/1.1 200 OK\r\n\r\n",
            ids.len(),
            ids
        ));
        self.handle(Event::WorkerReply {
            worker: worker.as_bytes(),
            reply,
        })
    }

    fn heartbeat(&mut self, worker: &str) -> Vec<Action> {
        self.handle(Event::WorkerHeartbeat {
            worker: worker.as_bytes(),
        })
    }

    fn disconnect(&mut self, worker: &str) -> Vec<Action> {
        self.handle(Event::WorkerDisconnect {
            worker: worker.as_bytes(),
        })
    }

    fn cancel(&mut self, id: u64) -> Vec<Action> {
        self.handle(Event::Cancel {
            gateway: GW,
            request: id,
        })
    }

    fn status(&self) -> super::Status {
        self.engine.status(self.now)
    }
}

/// A Mongrel2 request message from `gw-1` with JSON headers.
fn json_payload(conn: u32) -> Bytes {
    let headers = r#"{"PATH":"/p","METHOD":"GET"}"#;
    Bytes::from(format!("gw-1 {conn} /p {}:{headers},0:,", headers.len()))
}

/// The REQUESTs among the actions, in order.
fn sent(actions: &[Action]) -> Vec<Sent> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendToWorker {
                worker,
                command:
                    Command::Request {
                        request, payload, ..
                    },
                ..
            } => Some(Sent {
                worker: String::from_utf8_lossy(worker).into_owned(),
                id: *request,
                conn: envelope::request_head(payload).unwrap().conn_id,
            }),
            _ => None,
        })
        .collect()
}

/// The worker each REQUEST went to, in order.
fn dispatched_to(actions: &[Action]) -> Vec<String> {
    sent(actions).into_iter().map(|s| s.worker).collect()
}

/// The one REQUEST among the actions.
fn only_sent(actions: &[Action]) -> Sent {
    let sent = sent(actions);
    assert_eq!(sent.len(), 1, "expected exactly one REQUEST in {actions:?}");
    sent[0].clone()
}

/// The FAILs among the actions, in order.
fn fails(actions: &[Action]) -> Vec<Failed> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Fail {
                request,
                status,
                retry_after,
                reason,
                ..
            } => Some(Failed {
                request: *request,
                status: status.code(),
                retry_after: *retry_after,
                reason: *reason,
            }),
            _ => None,
        })
        .collect()
}

/// Commands of a given name sent to a worker.
fn commands_to<'a>(actions: &'a [Action], worker: &str, name: &str) -> Vec<&'a Command> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendToWorker {
                worker: w, command, ..
            } if w == worker.as_bytes() && command.name() == name => Some(command),
            _ => None,
        })
        .collect()
}

/// A 503 with the default Retry-After.
fn unavailable(request: u64, reason: FailReason) -> Failed {
    Failed {
        request,
        status: 503,
        retry_after: Some(Duration::from_secs(1)),
        reason,
    }
}

/// A failure without Retry-After (502, 504).
fn failed(request: u64, status: u16, reason: FailReason) -> Failed {
    Failed {
        request,
        status,
        retry_after: None,
        reason,
    }
}
