//! What the broker sends: REQUEST and CANCEL become deliveries, HEARTBEAT carries the timing to adopt,
//! DISCONNECT and RECONNECT-TO change the link.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use super::timing::{later, Timing};
use super::{Action, Delivery, Held, Link, Phase, Session};
use crate::envelope;
use crate::protocol::{self, Command, Direction, RequestId, Version};

impl Session {
    /// One message from the broker (frames after the routing envelope, delimiter first).
    pub(crate) fn message<F: AsRef<[u8]>>(
        &mut self,
        frames: &[F],
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        if self.phase == Phase::Stopped {
            return;
        }
        self.last_heard = now;
        let command = match protocol::decode_versioned(frames) {
            Ok((version, command)) if command.direction() != Direction::ToBroker => {
                self.note_version(version, &command);
                command
            }
            Ok((_, command)) => {
                return tracing::warn!(command = command.name(), "broker sent a worker command")
            }
            Err(error) => return tracing::warn!(%error, "malformed message from the broker"),
        };
        match command {
            Command::Request {
                request,
                sender,
                payload,
            } => self.request(request, sender, payload, out),
            Command::Cancel { request, notice } => self.cancel(request, notice, out),
            Command::Heartbeat {
                timing: Some(timing),
            } => {
                self.timing = Timing::from(timing);
                self.next_heartbeat = self.next_heartbeat.min(later(now, self.timing.interval));
                self.backoff.reset();
            }
            Command::Disconnect { reason } => self.disconnected(reason, now, out),
            Command::ReconnectTo { endpoint } => self.reconnect_to(endpoint, now, out),
            _ => {}
        }
    }

    fn request(
        &mut self,
        request: RequestId,
        sender: Bytes,
        payload: Bytes,
        out: &mut Vec<Action>,
    ) {
        if self.held.contains_key(&request) {
            return tracing::warn!(?request, "broker sent a request id twice; ignored");
        }
        if self.held.len() >= self.capacity {
            tracing::warn!(?request, "broker exceeded our capacity; request given back");
            return out.push(Action::Send(Command::Done { request }));
        }
        let conn_id = match envelope::request_head(&payload) {
            Ok(head) if head.sender == sender.as_ref() => u64::from(head.conn_id),
            Ok(_) | Err(_) => {
                tracing::warn!(
                    ?request,
                    "request payload is not a Mongrel2 request; given back"
                );
                return out.push(Action::Send(Command::Done { request }));
            }
        };
        let cancelled = Arc::new(AtomicBool::new(false));
        let held = Held {
            sender: sender.clone(),
            conn_id,
            cancelled: cancelled.clone(),
            cancel_delivered: false,
        };
        self.held.insert(request, held);
        out.push(Action::Deliver(Delivery {
            cancel: false,
            request,
            sender,
            conn_id,
            payload,
            epoch: self.epoch,
            cancelled,
        }));
    }

    fn cancel(&mut self, request: RequestId, notice: Bytes, out: &mut Vec<Action>) {
        let Some(held) = self.held.get_mut(&request) else {
            return tracing::debug!(?request, "cancel for a request not held");
        };
        held.cancelled.store(true, Ordering::Release);
        if std::mem::replace(&mut held.cancel_delivered, true) {
            return;
        }
        out.push(Action::Deliver(Delivery {
            cancel: true,
            request,
            sender: held.sender.clone(),
            conn_id: held.conn_id,
            payload: notice,
            epoch: self.epoch,
            cancelled: held.cancelled.clone(),
        }));
    }

    /// A broker that predates S0W/2 refuses our READY with an S0W/1 DISCONNECT naming the protocol: speak
    /// S0W/1 to it from now on (the READY that follows the DISCONNECT is sent in it).
    fn note_version(&mut self, version: Version, command: &Command) {
        let refused = matches!(command, Command::Disconnect { reason: Some(r) } if r.starts_with("unsupported protocol"));
        if version == Version::V1 && self.version == Version::V2 && refused {
            tracing::info!("broker speaks S0W/1 only; falling back to it");
            self.version = Version::V1;
        }
    }

    fn disconnected(&mut self, reason: Option<String>, now: Instant, out: &mut Vec<Action>) {
        tracing::warn!(
            reason = reason.as_deref().unwrap_or(""),
            "broker sent DISCONNECT"
        );
        self.abandon(out);
        match std::mem::replace(&mut self.phase, Phase::Serving) {
            Phase::Draining { .. } | Phase::Stopped => self.stop(out),
            Phase::Moving { to } => self.move_to(to, now, out),
            Phase::Serving => {
                self.link = Link::Waiting {
                    until: later(now, self.backoff.next()),
                }
            }
        }
    }

    fn reconnect_to(&mut self, endpoint: String, now: Instant, out: &mut Vec<Action>) {
        if !matches!(self.phase, Phase::Serving | Phase::Moving { .. }) {
            return;
        }
        tracing::info!(%endpoint, held = self.held.len(), "broker moves us");
        self.phase = Phase::Moving { to: endpoint };
        self.idle_check(now, out);
    }
}
