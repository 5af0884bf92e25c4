//! The engine's status and counters as JSON, and worker identities as text (see the module docs of
//! [`super`]). Written out by hand so the engine stays free of serde.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::engine::{Counters, Status};
use crate::runtime::IoCounters;

/// The `status` result.
pub(super) fn status(status: &Status, gateways: &[Bytes], io: &IoCounters) -> Value {
    let services: Vec<Value> = status
        .services
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "workers": s.workers,
                "ready_slots": s.ready_slots,
                "queue_depth": s.queue_depth,
                "oldest_wait_ms": s.oldest_wait.map(millis),
            })
        })
        .collect();
    let workers: Vec<Value> = status
        .workers
        .iter()
        .map(|w| {
            json!({
                "identity": identity_text(&w.identity),
                "services": w.services,
                "capacity": w.capacity,
                "in_flight": w.in_flight,
                "last_heard_ms": millis(w.last_heard),
                "draining": w.draining,
            })
        })
        .collect();
    let gateways: Vec<String> = gateways.iter().map(|g| identity_text(g)).collect();
    json!({
        "services": services,
        "workers": workers,
        "gateways": gateways,
        "requests": status.requests,
        "counters": counters(&status.counters),
        "io": io_counters(io),
    })
}

fn counters(c: &Counters) -> Value {
    json!({
        "dispatched": c.dispatched,
        "completed": c.completed,
        "retried": c.retried,
        "cancelled": c.cancelled,
        "failed_502": c.failed_502,
        "failed_503": c.failed_503,
        "failed_504": c.failed_504,
        "replies_routed": c.replies_routed,
        "replies_unknown_gateway": c.replies_unknown_gateway,
        "replies_malformed": c.replies_malformed,
        "unknown_worker_messages": c.unknown_worker_messages,
        "stray_dones": c.stray_dones,
        "stray_cancels": c.stray_cancels,
        "duplicate_submits": c.duplicate_submits,
        "malformed_messages": c.malformed_messages,
        "unknown_commands": c.unknown_commands,
        "workers_registered": c.workers_registered,
        "workers_refused": c.workers_refused,
        "workers_expired": c.workers_expired,
        "workers_disconnected": c.workers_disconnected,
        "gateways_expired": c.gateways_expired,
        "gateways_refused": c.gateways_refused,
    })
}

fn io_counters(io: &IoCounters) -> Value {
    json!({
        "gateway_full_drops": io.gateway_full_drops,
        "gateway_gone_drops": io.gateway_gone_drops,
        "worker_unreachable": io.worker_unreachable,
        "oversized_messages": io.oversized_messages,
        "refused_draining": io.refused_draining,
        "sender_id_conflicts": io.sender_id_conflicts,
    })
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// An identity as shown to operators: printable ASCII as is (unless it could be read as hex), else `0x`
/// and lowercase hex.
pub(crate) fn identity_text(identity: &[u8]) -> String {
    let printable = !identity.is_empty() && identity.iter().all(|b| b.is_ascii_graphic());
    if printable && !identity.starts_with(b"0x") {
        return String::from_utf8_lossy(identity).into_owned();
    }
    let mut text = String::with_capacity(2 + 2 * identity.len());
    text.push_str("0x");
    for byte in identity {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// The identities an operator's `text` may mean: the text itself, then its `0x` hex reading if valid.
pub(crate) fn identity_candidates(text: &str) -> Vec<Vec<u8>> {
    let mut candidates = vec![text.as_bytes().to_vec()];
    if let Some(hex) = text.strip_prefix("0x") {
        if hex.len() % 2 == 0 {
            let bytes: Option<Vec<u8>> = (0..hex.len())
                .step_by(2)
                .map(|at| {
                    hex.get(at..at + 2)
                        .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                })
                .collect();
            candidates.extend(bytes);
        }
    }
    candidates
}
