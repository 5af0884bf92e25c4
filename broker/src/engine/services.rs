//! The service table: per service, its ready queue of free slots and its queue of waiting requests.
//!
//! Services are created on first mention (a READY naming it, or a SUBMIT for it: a worker may be starting)
//! and swept on the heartbeat once no worker serves them and nothing waits, so hostile or mistyped names
//! cannot accumulate. The table is capped (`max_services`).

use std::collections::HashMap;

use super::queue::RequestQueue;
use super::ready_queue::ReadyQueue;
use super::slab::{Key, Slab};
use crate::protocol::gateway::FailReason;
use crate::protocol::ServiceName;

/// One service.
pub(crate) struct Service {
    /// Its name.
    pub(crate) name: ServiceName,
    /// Free worker slots, least recently used first.
    pub(crate) ready: ReadyQueue,
    /// Requests waiting for a slot.
    pub(crate) queue: RequestQueue,
    /// Registered workers serving it (draining ones included).
    pub(crate) workers: usize,
    /// Bound on `queue`, fixed when the service entry is created.
    pub(crate) max_queue: usize,
    /// The pseudo-worker of the Mongrel2 handlers backing the service, if any (counted in `workers`,
    /// so the service is never swept).
    pub(crate) handler: Option<Key>,
}

/// Services by key and by name.
pub(crate) struct Services {
    slab: Slab<Service>,
    by_name: HashMap<ServiceName, Key>,
}

impl Services {
    /// An empty table holding at most `limit` services.
    pub(crate) fn new(limit: usize) -> Self {
        Services {
            slab: Slab::new(limit),
            by_name: HashMap::new(),
        }
    }

    /// The service with this name, creating it (bounded by `max_queue`) if it is new.
    ///
    /// Fails with [`FailReason::BadSubmit`] for a name that is not a valid service name and with
    /// [`FailReason::Overloaded`] when the table is full.
    pub(crate) fn resolve(&mut self, name: &str, max_queue: usize) -> Result<Key, FailReason> {
        if let Some(key) = self.by_name.get(name) {
            return Ok(*key);
        }
        let name = ServiceName::new(name.as_bytes()).map_err(|_| FailReason::BadSubmit)?;
        let service = Service {
            name: name.clone(),
            ready: ReadyQueue::default(),
            queue: RequestQueue::default(),
            workers: 0,
            max_queue,
            handler: None,
        };
        let key = self
            .slab
            .insert(service)
            .map_err(|_| FailReason::Overloaded)?;
        self.by_name.insert(name, key);
        Ok(key)
    }

    /// The service `key` names.
    pub(crate) fn get(&self, key: Key) -> Option<&Service> {
        self.slab.get(key)
    }

    /// Mutable access to the service `key` names.
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut Service> {
        self.slab.get_mut(key)
    }

    /// All services with their keys.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Key, &Service)> {
        self.slab.iter()
    }

    /// Forgets services nothing refers to any more: no worker serves them and no request waits.
    pub(crate) fn sweep(&mut self) {
        let idle: Vec<Key> = self
            .slab
            .iter()
            .filter(|(_, s)| s.workers == 0 && s.queue.is_empty())
            .map(|(key, _)| key)
            .collect();
        for key in idle {
            if let Some(service) = self.slab.remove(key) {
                self.by_name.remove(&service.name);
            }
        }
    }
}
