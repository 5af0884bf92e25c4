//! The gateway's side of the link task: submits and cancels in, deliveries out through the sink.

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::Task;
use crate::engine;
use crate::link::outstanding::Retry;
use crate::link::{
    Delivery, FromBroker, ToBroker, REASON_BROKER_UNREACHABLE, REASON_LINK_OVERLOADED,
};
use crate::protocol::gateway::Command;
use crate::protocol::{ServiceName, MAX_DURATION_MS};

impl Task {
    pub(super) fn on_gateway_message(&mut self, message: ToBroker, now: Instant) {
        match message {
            ToBroker::Submit {
                request,
                service,
                payload,
                deadline,
                idempotent,
            } => self.submit(request, service, payload, deadline, idempotent, now),
            ToBroker::Cancel { request } => {
                self.outstanding.remove(request);
                self.unpark(request);
                if !self.send(&Command::Cancel { request }) {
                    tracing::debug!(request, "cancel not sent: no connection to the broker");
                }
            }
        }
    }

    fn submit(
        &mut self,
        request: u64,
        service: ServiceName,
        payload: Bytes,
        deadline: Duration,
        idempotent: bool,
        now: Instant,
    ) {
        if !self.up {
            let retry_after = self.settings.retry_after;
            return self.fail(request, 503, retry_after, REASON_BROKER_UNREACHABLE);
        }
        let max = Duration::from_millis(MAX_DURATION_MS);
        let deadline = (!deadline.is_zero()).then(|| deadline.min(max));
        let window = deadline.unwrap_or(engine::Config::default().default_deadline);
        let deadline_at = (now + window).into_std();
        self.hand_over(request, service, payload, deadline, idempotent, deadline_at);
    }

    /// Tracks one request (with what it takes to submit it again, if idempotent) and sends its SUBMIT;
    /// 503 when the table or the socket cannot take it.
    pub(super) fn hand_over(
        &mut self,
        request: u64,
        service: ServiceName,
        payload: Bytes,
        deadline: Option<Duration>,
        idempotent: bool,
        deadline_at: std::time::Instant,
    ) {
        let retry_after = self.settings.retry_after;
        let expires_at = deadline_at + self.settings.timeout();
        let retry = idempotent.then(|| Retry {
            service: service.clone(),
            payload: payload.clone(),
            deadline_at,
        });
        if self
            .outstanding
            .insert(request, &payload, expires_at, retry)
            .is_err()
        {
            return self.fail(request, 503, retry_after, REASON_LINK_OVERLOADED);
        }
        let command = Command::Submit {
            request,
            service,
            deadline,
            idempotent,
            payload,
        };
        if !self.send(&command) {
            self.outstanding.remove(request);
            self.fail(request, 503, retry_after, REASON_BROKER_UNREACHABLE);
        }
    }

    pub(super) fn fail(&mut self, request: u64, status: u16, retry_after: Duration, reason: &str) {
        self.deliver(FromBroker::Fail {
            request,
            status,
            retry_after,
            reason: reason.to_owned(),
        });
    }

    /// Hands a message to the gateway's sink, which never blocks: what it cannot take is dropped (logged),
    /// and a gone gateway ends the task.
    pub(super) fn deliver(&mut self, message: FromBroker) {
        match self.sink.deliver(message) {
            Delivery::Taken => {}
            Delivery::Full => tracing::debug!("gateway sink full; message from the broker dropped"),
            Delivery::Gone => self.gone = true,
        }
    }
}
