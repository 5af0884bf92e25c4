//! Mongrel2's control port: the ZeroMQ REP socket `m2sh control` and
//! Mongrel2's Python `ControlPort` talk to, answered as Mongrel2 1.12 does
//! (docs/mongrel2-protocol.md §8, docs/parity/control-port.md).
//!
//! A request is one tnetstring `[command, {args}]`; every reply is one
//! tnetstring dict: a table `{"headers": [...], "rows": [[...], ...]}`, an
//! error `{"code": CODE, "error": text}`, or for a bad `status what=` a bare
//! `{"error": text}`. Key order and texts are Mongrel2's, byte for byte.
//!
//! The protocol is sans-IO: [`handle`] turns request bytes into reply bytes
//! and an [`Effect`], reading the gateway through the [`State`] trait (the
//! live [`Registry`](crate::registry::Registry), the server's [`ServerInfo`],
//! the clock). [`spawn`] runs the socket task that feeds it and carries out
//! the effects (stop, terminate, control_stop) after the reply is sent.
//!
//! ```
//! use scale0_gateway::control_port::{handle, Effect, ServerInfo, State, TaskRow};
//! use scale0_gateway::registry::{Killed, Row};
//!
//! struct Idle(ServerInfo);
//! impl State for Idle {
//!     fn connections(&self) -> Vec<Row> { Vec::new() }
//!     fn tasks(&self) -> Vec<TaskRow> { Vec::new() }
//!     fn info(&self) -> &ServerInfo { &self.0 }
//!     fn unix_time(&self) -> i64 { 1_795_497_051 }
//!     fn kill(&self, _id: u64) -> Killed { Killed::Unknown }
//! }
//! let out = handle(b"10:4:time,0:}]", &Idle(ServerInfo::default()));
//! assert_eq!(out.reply, b"49:7:headers,7:4:time,]4:rows,18:14:10:1795497051,]]}");
//! assert_eq!(out.effect, Effect::None);
//! ```

mod reply;
mod request;
mod settings;
mod task;
#[cfg(test)]
mod tests;

use mongrel2_compat::tnetstring::Value;

use crate::registry::{Killed, Row};

pub use request::{parse, Command, Error, What};
pub use settings::{ServerInfo, Settings};
pub use task::{spawn, CONTROL_QUEUE};

/// Largest request accepted, in bytes (libzmq drops peers sending more, and
/// the tnetstring parser refuses to declare more): commands are tiny.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Deepest nesting a request may have: `[name, {key: value}]` is 2.
pub const MAX_REQUEST_DEPTH: usize = 4;

/// Mongrel2's `help` rows, in its order.
pub const HELP: [(&str, &str); 10] = [
    ("stop", "stop the server (SIGINT)"),
    ("reload", "reload the server"),
    ("help", "this command"),
    ("control_stop", "stop control port"),
    ("kill", "kill a connection"),
    ("status", "status, what=['net'|'tasks']"),
    ("terminate", "terminate the server (SIGTERM)"),
    ("time", "the server's time"),
    ("uuid", "the server's uuid"),
    ("info", "information about this server"),
];

/// The text of `stop`'s and `terminate`'s reply (Mongrel2's, after raising the signal).
pub const SIGNAL_SENT: &str = "signal sent to server";

/// The text of `reload`'s reply: Scale0 does not reload (Mongrel2 1.12's
/// SIGHUP reload does not pick up config changes either); same table shape.
pub const RELOAD_NOT_SUPPORTED: &str = "reload not supported";

/// The text of `control_stop`'s reply.
pub const CONTROL_STOPPING: &str = "stopping the control port";

/// The text of the reply to `status` with a `what` other than `net`/`tasks`.
pub const STATUS_WHAT: &str = "Expected argument what=['net'|'tasks'].";

/// One row of `status tasks`: Mongrel2 lists its coroutines; Scale0 lists
/// its long-lived tasks and one per open connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    /// A number unique within one reply.
    pub id: u64,
    /// Mongrel2's "system task" flag; false for every Scale0 task.
    pub system: bool,
    /// What the task is (`SERVER`, `Handler_task`, `control`, `HTTP`, ...).
    pub name: String,
    /// What it waits on (`read fd`, `read handler`).
    pub state: String,
    /// `idle`, or `running` for the task answering.
    pub status: String,
}

/// What the control port reads from, and acts on, in the gateway.
pub trait State {
    /// `status net` rows of every open connection.
    fn connections(&self) -> Vec<Row>;
    /// `status tasks` rows.
    fn tasks(&self) -> Vec<TaskRow>;
    /// What `uuid` and `info` report.
    fn info(&self) -> &ServerInfo;
    /// Seconds since the Unix epoch, for `time`.
    fn unix_time(&self) -> i64;
    /// Drops connection `id` at once, without a disconnect notice.
    fn kill(&self, id: u64) -> Killed;
}

/// What the socket task must do once the reply is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing.
    None,
    /// Graceful shutdown (Mongrel2 raises SIGINT).
    Stop,
    /// Immediate shutdown (SIGTERM): connections are not drained.
    Terminate,
    /// Close the control port; the gateway keeps serving.
    StopControl,
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The reply frame.
    pub reply: Vec<u8>,
    /// What to do after sending it.
    pub effect: Effect,
}

/// Answers one request frame (trailing bytes after the tnetstring are
/// ignored, as Mongrel2 does: `m2sh` sends a NUL after it).
pub fn handle(request: &[u8], state: &dyn State) -> Outcome {
    match parse(request) {
        Ok(command) => respond(command, state),
        Err(e) => {
            tracing::debug!("control port request refused: {e}");
            Outcome {
                reply: e.reply(),
                effect: Effect::None,
            }
        }
    }
}

/// Carries out a parsed command.
pub fn respond(command: Command, state: &dyn State) -> Outcome {
    let done = |reply| Outcome {
        reply,
        effect: Effect::None,
    };
    match command {
        Command::Help => done(reply::help()),
        Command::Status(What::Net) => done(reply::net(&state.connections())),
        Command::Status(What::Tasks) => done(reply::tasks(&state.tasks())),
        Command::Status(What::Other) => done(reply::bare_error(STATUS_WHAT)),
        Command::Time => done(reply::single("time", &state.unix_time().to_string())),
        Command::Uuid => done(reply::single("uuid", &state.info().uuid)),
        Command::Info => done(reply::info(state.info())),
        Command::Kill { id } => done(match state.kill(id) {
            Killed::Done => reply::single("status", "OK"),
            Killed::Unknown => Error::UnknownConn { id }.reply(),
            Killed::AlreadyClosing => Error::NotConnected { id }.reply(),
        }),
        Command::Stop => Outcome {
            reply: reply::single("msg", SIGNAL_SENT),
            effect: Effect::Stop,
        },
        Command::Terminate => Outcome {
            reply: reply::single("msg", SIGNAL_SENT),
            effect: Effect::Terminate,
        },
        Command::Reload => done(reply::single("msg", RELOAD_NOT_SUPPORTED)),
        Command::ControlStop => Outcome {
            reply: reply::single("msg", CONTROL_STOPPING),
            effect: Effect::StopControl,
        },
    }
}

/// A tnetstring string value (helper for the reply builders).
fn text(s: &str) -> Value<'_> {
    Value::Str(s.as_bytes())
}
