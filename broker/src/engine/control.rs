//! Operator actions on workers (`scale0 ctl`): drain, move to another broker, kick; and the broker's own
//! shutdown.

use super::requests::State;
use super::slab::Key;
use super::{Action, Engine};
use crate::protocol::gateway::FailReason;
use crate::protocol::{self, Command};

/// Why a control action could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No registered worker has this routing identity.
    #[error("no registered worker with identity {identity:?}")]
    UnknownWorker {
        /// The identity asked for (lossily decoded, at most 64 bytes).
        identity: String,
    },
    /// The endpoint given for RECONNECT-TO is not one a worker could connect to.
    #[error("bad endpoint for RECONNECT-TO: {0}")]
    Endpoint(#[from] protocol::Error),
}

impl Engine {
    /// Stops giving the worker new requests; those in flight finish normally. Used for maintenance and by
    /// [`Engine::reconnect_worker`].
    pub fn drain_worker(&mut self, identity: &[u8]) -> Result<(), ControlError> {
        let key = self.find_worker(identity)?;
        let Some(worker) = self.workers.get_mut(key) else {
            return Ok(());
        };
        if worker.draining {
            return Ok(());
        }
        worker.draining = true;
        let free = worker.free();
        let Some(worker) = self.workers.get(key) else {
            return Ok(());
        };
        for &service in &worker.services {
            if let Some(svc) = self.services.get_mut(service) {
                let workers = &self.workers;
                svc.ready.forget(free, |s| workers.is_free(s));
            }
        }
        Ok(())
    }

    /// Tells the worker to move to another broker (RECONNECT-TO): it is drained here at once, finishes what
    /// it holds, then disconnects and connects to `endpoint`.
    pub fn reconnect_worker(
        &mut self,
        identity: &[u8],
        endpoint: &str,
        out: &mut Vec<Action>,
    ) -> Result<(), ControlError> {
        let endpoint = protocol::validate_endpoint(endpoint.as_bytes())?.to_owned();
        self.drain_worker(identity)?;
        let key = self.find_worker(identity)?;
        if let Some(worker) = self.workers.get(key) {
            let command = Command::ReconnectTo { endpoint };
            out.push(Action::SendToWorker {
                worker: worker.identity.clone(),
                command,
                version: worker.version,
            });
        }
        Ok(())
    }

    /// Disconnects the worker now: it gets DISCONNECT, and what it held fails (or is retried) as if it died.
    pub fn kick_worker(
        &mut self,
        identity: &[u8],
        out: &mut Vec<Action>,
    ) -> Result<(), ControlError> {
        let key = self.find_worker(identity)?;
        if let Some(worker) = self.workers.get(key) {
            let command = Command::Disconnect {
                reason: Some("kicked by operator".to_owned()),
            };
            out.push(Action::SendToWorker {
                worker: worker.identity.clone(),
                command,
                version: worker.version,
            });
        }
        self.remove_worker(key, out);
        Ok(())
    }

    /// Ends everything for a broker shutdown, so no gateway waits on a broker that is gone: each queued
    /// request fails with 503 `overloaded` (it never reached a worker, so it is safe to retry elsewhere),
    /// each request a worker or handler holds fails with 502 `worker-lost` (nobody knows how far it got),
    /// and every worker gets DISCONNECT and is unregistered (handler services get nothing: they have no
    /// registration to end).
    pub fn shutdown(&mut self, out: &mut Vec<Action>) {
        let gateways: Vec<Key> = self.gateways.iter().map(|(key, _)| key).collect();
        for gateway in gateways {
            for request in self.requests.of_gateway(gateway) {
                let reason = match self.requests.get(request).map(|r| r.state) {
                    Some(State::Queued) => FailReason::Overloaded,
                    Some(State::InFlight { .. }) => FailReason::WorkerLost,
                    Some(State::Orphaned { .. } | State::Withdrawn { .. }) | None => continue,
                };
                self.fail_and_remove(request, reason, out);
            }
        }
        let workers: Vec<Key> = self.workers.iter().map(|(key, _)| key).collect();
        for key in workers {
            if let Some(worker) = self.workers.get(key).filter(|w| w.handler.is_none()) {
                let command = Command::Disconnect {
                    reason: Some("broker shutting down".to_owned()),
                };
                out.push(Action::SendToWorker {
                    worker: worker.identity.clone(),
                    command,
                    version: worker.version,
                });
            }
            self.remove_worker(key, out);
        }
    }

    fn find_worker(&self, identity: &[u8]) -> Result<Key, ControlError> {
        self.workers
            .find(identity)
            .ok_or_else(|| ControlError::UnknownWorker {
                identity: protocol::Error::preview(identity, 64),
            })
    }
}
