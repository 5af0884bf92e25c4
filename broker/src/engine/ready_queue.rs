//! Per-service FIFO of free worker slots: the least-recently-used slot is at the front.
//!
//! A worker with capacity N serving S services has N slots, and each free slot sits once in each of the S
//! services' queues. Taking a slot through one service bumps the slot's epoch, which makes its entries in
//! the other services stale; they are skipped when they reach the front and swept out once they outnumber
//! the live entries. So take, give back and skip are all O(1) amortised, with no search and no allocation
//! once the deques have grown to the working-set size.

use std::collections::VecDeque;

use super::slab::Key;

/// Slack before a sweep, so small queues never sweep.
const COMPACT_SLACK: usize = 64;

/// One free slot of one worker, as of one epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SlotRef {
    /// The worker (stale once the worker is removed).
    pub(crate) worker: Key,
    /// Index of the slot in the worker's slot table.
    pub(crate) slot: u32,
    /// The slot's epoch when it was freed; any later take makes this entry stale.
    pub(crate) epoch: u32,
}

/// The free slots of one service, least recently used first.
#[derive(Default)]
pub(crate) struct ReadyQueue {
    fifo: VecDeque<SlotRef>,
    live: usize,
}

impl ReadyQueue {
    /// Number of free slots (live entries).
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Whether no slot is free.
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Appends a freshly freed slot: it is now the most recently used.
    pub(crate) fn push(&mut self, slot: SlotRef) {
        self.fifo.push_back(slot);
        self.live += 1;
    }

    /// Takes the least-recently-used free slot, skipping stale entries.
    pub(crate) fn pop(&mut self, is_free: impl Fn(&SlotRef) -> bool) -> Option<SlotRef> {
        if self.live == 0 {
            return None;
        }
        while let Some(slot) = self.fifo.pop_front() {
            if is_free(&slot) {
                self.live -= 1;
                return Some(slot);
            }
        }
        self.live = 0;
        None
    }

    /// Records that `count` live entries went stale elsewhere (slot taken via another service, worker
    /// removed or draining), sweeping them out if stale entries now dominate.
    pub(crate) fn forget(&mut self, count: usize, is_free: impl Fn(&SlotRef) -> bool) {
        self.live = self.live.saturating_sub(count);
        if self.fifo.len() > self.live.saturating_mul(2).saturating_add(COMPACT_SLACK) {
            self.fifo.retain(|slot| is_free(slot));
            self.live = self.fifo.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::slab::Slab;

    fn slot(worker: Key, slot: u32) -> SlotRef {
        SlotRef {
            worker,
            slot,
            epoch: 0,
        }
    }

    #[test]
    fn fifo_order_and_stale_entries_are_skipped() {
        let mut slab = Slab::new(4);
        let (a, b) = (slab.insert(()).unwrap(), slab.insert(()).unwrap());
        let mut queue = ReadyQueue::default();
        queue.push(slot(a, 0));
        queue.push(slot(b, 0));
        queue.push(slot(a, 1));
        queue.forget(1, |_| true);
        let skip_b = |s: &SlotRef| s.worker != b;
        assert_eq!(queue.pop(skip_b), Some(slot(a, 0)));
        assert_eq!(queue.pop(skip_b), Some(slot(a, 1)));
        assert_eq!(queue.pop(skip_b), None);
        assert!(queue.is_empty());
    }

    #[test]
    fn stale_entries_are_swept_when_they_dominate() {
        let mut slab = Slab::new(4);
        let a = slab.insert(()).unwrap();
        let mut queue = ReadyQueue::default();
        for i in 0..100 {
            queue.push(slot(a, i));
        }
        queue.forget(99, |s| s.slot == 7);
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.fifo.len(), 1);
        assert_eq!(queue.pop(|_| true), Some(slot(a, 7)));
    }
}
