//! The broker's side of the control socket, sans-IO: one request's bytes in, the answer's bytes out, with
//! operator actions applied to the engine (their actions, e.g. a DISCONNECT, appended to `out` for the
//! loop to perform).

use std::time::Instant;

use serde_json::{json, Value};

use super::json::{identity_candidates, identity_text, status};
use super::{Command, Error};
use crate::engine::{Action, ControlError, Engine};
use crate::runtime::IoCounters;

/// Answers one control request.
pub(crate) fn answer(
    engine: &mut Engine,
    io: &IoCounters,
    request: &[u8],
    now: Instant,
    out: &mut Vec<Action>,
) -> Vec<u8> {
    let command: Command = match serde_json::from_slice(request) {
        Ok(command) => command,
        Err(error) => return refusal(&format!("bad control request: {error}")),
    };
    let result = match command {
        Command::Status => Ok(status(&engine.status(now), &engine.gateway_ids(), io)),
        Command::Drain { worker } => {
            on_worker(&worker, |id| engine.drain_worker(id)).map(|id| json!({ "drained": id }))
        }
        Command::Kick { worker } => {
            on_worker(&worker, |id| engine.kick_worker(id, out)).map(|id| json!({ "kicked": id }))
        }
        Command::Reconnect { worker, endpoint } => {
            on_worker(&worker, |id| engine.reconnect_worker(id, &endpoint, out))
                .map(|id| json!({ "moved": id, "endpoint": endpoint }))
        }
    };
    match result {
        Ok(result) => encode(&json!({ "ok": true, "result": result })),
        Err(error) => refusal(&error.to_string()),
    }
}

/// An answer refusing a request, with the reason.
pub(crate) fn refusal(why: &str) -> Vec<u8> {
    encode(&json!({ "ok": false, "error": why }))
}

/// Applies `action` to the first reading of `worker` (as text, then as `0x` hex) that names a registered
/// worker; returns the identity as shown in `status`.
fn on_worker(
    worker: &str,
    mut action: impl FnMut(&[u8]) -> Result<(), ControlError>,
) -> Result<String, ControlError> {
    let mut last = None;
    for identity in identity_candidates(worker) {
        match action(&identity) {
            Ok(()) => return Ok(identity_text(&identity)),
            Err(error @ ControlError::UnknownWorker { .. }) => last = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last.unwrap_or_else(|| ControlError::UnknownWorker {
        identity: worker.chars().take(64).collect(),
    }))
}

fn encode(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| br#"{"ok":false,"error":"internal"}"#.to_vec())
}

/// Reads an answer: the `result` of `{"ok":true,…}`, or the broker's reason as [`Error::Refused`].
pub(crate) fn parse_answer(answer: &[u8]) -> Result<Value, Error> {
    let value: Value =
        serde_json::from_slice(answer).map_err(|error| Error::Answer(error.to_string()))?;
    match value.get("ok").and_then(Value::as_bool) {
        Some(true) => Ok(value.get("result").cloned().unwrap_or(Value::Null)),
        Some(false) => Err(Error::Refused(
            value
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no reason given")
                .to_owned(),
        )),
        None => Err(Error::Answer("no \"ok\" field".to_owned())),
    }
}
