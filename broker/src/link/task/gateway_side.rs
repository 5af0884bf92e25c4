//! The gateway's side of the link task: submits and cancels in, deliveries out through the sink.

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::Task;
use crate::engine;
use crate::link::{
    Delivery, FromBroker, ToBroker, REASON_BROKER_UNREACHABLE, REASON_LINK_OVERLOADED,
};
use crate::protocol::gateway::Command;
use crate::protocol::{ServiceName, MAX_DURATION_MS};

impl Task {
    pub(super) fn on_gateway_message(&mut self, message: ToBroker) {
        match message {
            ToBroker::Submit {
                request,
                service,
                payload,
                deadline,
                idempotent,
            } => self.submit(request, &service, payload, deadline, idempotent),
            ToBroker::Cancel { request } => {
                self.outstanding.remove(request);
                if !self.send(&Command::Cancel { request }) {
                    tracing::debug!(request, "cancel not sent: no connection to the broker");
                }
            }
        }
    }

    fn submit(
        &mut self,
        request: u64,
        service: &str,
        payload: Bytes,
        deadline: Duration,
        idempotent: bool,
    ) {
        let Ok(service) = ServiceName::new(service.as_bytes()) else {
            return self.fail(request, 502, Duration::ZERO, "bad-submit");
        };
        let retry_after = self.settings.retry_after;
        if !self.up {
            return self.fail(request, 503, retry_after, REASON_BROKER_UNREACHABLE);
        }
        let max = Duration::from_millis(MAX_DURATION_MS);
        let deadline = (!deadline.is_zero()).then(|| deadline.min(max));
        let window = deadline.unwrap_or(engine::Config::default().default_deadline);
        let expires_at = (Instant::now() + window + self.settings.timeout()).into_std();
        if self
            .outstanding
            .insert(request, &payload, expires_at)
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
