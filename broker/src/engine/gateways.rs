//! The gateways the broker currently serves, keyed by sender id (the UUID in every Mongrel2 reply).
//!
//! A gateway becomes known with its first SUBMIT or HEARTBEAT and is forgotten when it says DISCONNECT or
//! falls silent for the liveness period. Only known gateways get replies routed to them: a reply for an
//! unknown UUID is dropped and counted, so a confused worker cannot make the broker buffer anything.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;

use super::slab::{Key, Slab};
use crate::protocol::Version;

/// One gateway.
pub(crate) struct Gateway {
    /// Sender id, also its ZeroMQ routing identity in standalone mode.
    pub(crate) id: Bytes,
    /// Last time anything arrived from it.
    pub(crate) last_seen: Instant,
    /// The protocol version it last spoke (standalone gateways); replies are framed in it.
    pub(crate) version: Version,
}

/// Gateways by key and by sender id.
pub(crate) struct Gateways {
    slab: Slab<Gateway>,
    by_id: HashMap<Bytes, Key>,
}

impl Gateways {
    /// An empty table holding at most `limit` gateways.
    pub(crate) fn new(limit: usize) -> Self {
        Gateways {
            slab: Slab::new(limit),
            by_id: HashMap::new(),
        }
    }

    /// Number of known gateways.
    pub(crate) fn len(&self) -> usize {
        self.slab.len()
    }

    /// The gateway with this sender id.
    pub(crate) fn find(&self, id: &[u8]) -> Option<Key> {
        self.by_id.get(id).copied()
    }

    /// Records that the gateway was heard from at `now`, registering it if new.
    /// Returns its key and whether it is new, or `None` when the table is full.
    pub(crate) fn seen(
        &mut self,
        id: &[u8],
        now: Instant,
        version: Version,
    ) -> Option<(Key, bool)> {
        if let Some(key) = self.find(id) {
            if let Some(gateway) = self.slab.get_mut(key) {
                gateway.last_seen = now;
                gateway.version = version;
            }
            return Some((key, false));
        }
        let id = Bytes::copy_from_slice(id);
        let key = self
            .slab
            .insert(Gateway {
                id: id.clone(),
                last_seen: now,
                version,
            })
            .ok()?;
        self.by_id.insert(id, key);
        Some((key, true))
    }

    /// The gateway `key` names.
    pub(crate) fn get(&self, key: Key) -> Option<&Gateway> {
        self.slab.get(key)
    }

    /// Forgets a gateway.
    pub(crate) fn remove(&mut self, key: Key) -> Option<Gateway> {
        let gateway = self.slab.remove(key)?;
        self.by_id.remove(&gateway.id);
        Some(gateway)
    }

    /// All gateways with their keys.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Key, &Gateway)> {
        self.slab.iter()
    }
}
