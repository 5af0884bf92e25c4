//! Per-service bounded FIFO of requests waiting for a free worker slot.
//!
//! Requests leave the middle of the queue (cancel, deadline, gateway gone) by being removed from the
//! request table; their key here then goes stale and is skipped. The front is trimmed after every such
//! removal, so the front entry is always live and "oldest wait" is O(1). The bound (`max_queue`) is
//! enforced by the engine on the live count.

use std::collections::VecDeque;

use super::slab::Key;

/// Slack before a sweep, so small queues never sweep.
const COMPACT_SLACK: usize = 64;

/// The waiting requests of one service, oldest first (except retries, which jump to the front).
#[derive(Default)]
pub(crate) struct RequestQueue {
    fifo: VecDeque<Key>,
    live: usize,
}

impl RequestQueue {
    /// Requests waiting.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The oldest waiting request (always live: the front is trimmed eagerly).
    pub(crate) fn front(&self) -> Option<Key> {
        (self.live > 0)
            .then(|| self.fifo.front().copied())
            .flatten()
    }

    /// Queues a new request behind the others.
    pub(crate) fn push_back(&mut self, request: Key) {
        self.fifo.push_back(request);
        self.live += 1;
    }

    /// Queues a retried request ahead of the others: it has waited longest.
    pub(crate) fn push_front(&mut self, request: Key) {
        self.fifo.push_front(request);
        self.live += 1;
    }

    /// Takes the oldest waiting request.
    pub(crate) fn pop(&mut self, is_queued: impl Fn(Key) -> bool) -> Option<Key> {
        let request = self.fifo.pop_front()?;
        self.live = self.live.saturating_sub(1);
        self.trim(&is_queued);
        Some(request)
    }

    /// Records that one queued request was removed from the request table (so its key is stale now).
    pub(crate) fn forget(&mut self, is_queued: impl Fn(Key) -> bool) {
        self.live = self.live.saturating_sub(1);
        self.trim(&is_queued);
        if self.fifo.len() > self.live.saturating_mul(2).saturating_add(COMPACT_SLACK) {
            self.fifo.retain(|k| is_queued(*k));
            self.live = self.fifo.len();
        }
    }

    fn trim(&mut self, is_queued: &impl Fn(Key) -> bool) {
        while let Some(&front) = self.fifo.front() {
            if is_queued(front) {
                return;
            }
            self.fifo.pop_front();
        }
        self.live = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::slab::Slab;

    #[test]
    fn removed_requests_are_skipped_and_front_stays_live() {
        let mut slab = Slab::new(8);
        let keys: Vec<Key> = (0..3).map(|i| slab.insert(i).unwrap()).collect();
        let mut queue = RequestQueue::default();
        keys.iter().for_each(|k| queue.push_back(*k));
        slab.remove(keys[0]);
        queue.forget(|k| slab.get(k).is_some());
        assert_eq!(queue.front(), Some(keys[1]));
        assert_eq!(queue.len(), 2);
        slab.remove(keys[2]);
        queue.forget(|k| slab.get(k).is_some());
        assert_eq!(queue.pop(|k| slab.get(k).is_some()), Some(keys[1]));
        assert!(queue.is_empty());
        assert_eq!(queue.front(), None);
    }

    #[test]
    fn retries_go_first() {
        let mut slab = Slab::new(8);
        let (a, b) = (slab.insert(()).unwrap(), slab.insert(()).unwrap());
        let mut queue = RequestQueue::default();
        queue.push_back(a);
        queue.push_front(b);
        assert_eq!(queue.pop(|_| true), Some(b));
    }
}
