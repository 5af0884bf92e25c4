//! A lazy min-heap of deadlines: arm in O(log n), never cancel; stale entries are skipped when they pop.
//!
//! Cancelling a timer would need a search; instead the owner checks, when an entry pops, whether it still
//! means anything (the request still queued, the worker still silent). To keep memory proportional to the
//! live set, [`Timers::compact`] drops stale entries once they outnumber the live ones, which costs O(1)
//! amortised per armed timer.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Slack before compaction kicks in, so tiny tables never compact.
const COMPACT_SLACK: usize = 64;

/// Deadlines keyed by `K`, earliest first.
pub(crate) struct Timers<K> {
    heap: BinaryHeap<Reverse<(Instant, K)>>,
}

impl<K: Ord + Copy> Timers<K> {
    /// No timers.
    pub(crate) fn new() -> Self {
        Timers {
            heap: BinaryHeap::new(),
        }
    }

    /// Arms a timer for `key` at `at`.
    pub(crate) fn arm(&mut self, at: Instant, key: K) {
        self.heap.push(Reverse((at, key)));
    }

    /// The earliest armed instant (possibly of a stale entry: an early wake-up is harmless).
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Pops the earliest entry if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, K)> {
        match self.heap.peek() {
            Some(Reverse((at, _))) if *at <= now => self.heap.pop().map(|Reverse(entry)| entry),
            _ => None,
        }
    }

    /// Drops stale entries when there are more than twice `live` (+ slack) of them.
    pub(crate) fn compact(&mut self, live: usize, is_live: impl Fn(Instant, K) -> bool) {
        if self.heap.len() > live.saturating_mul(2).saturating_add(COMPACT_SLACK) {
            self.heap.retain(|Reverse((at, key))| is_live(*at, *key));
        }
    }

    /// Entries held, stale ones included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn pops_in_deadline_order_only_when_due() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        timers.arm(t0 + Duration::from_secs(2), 'b');
        timers.arm(t0 + Duration::from_secs(1), 'a');
        assert_eq!(timers.next(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(timers.pop_due(t0), None);
        assert_eq!(
            timers.pop_due(t0 + Duration::from_secs(5)).map(|e| e.1),
            Some('a')
        );
        assert_eq!(
            timers.pop_due(t0 + Duration::from_secs(5)).map(|e| e.1),
            Some('b')
        );
    }

    #[test]
    fn compaction_keeps_only_live_entries() {
        let t0 = Instant::now();
        let mut timers = Timers::new();
        for i in 0..200u32 {
            timers.arm(t0, i);
        }
        timers.compact(10, |_, k| k < 10);
        assert_eq!(timers.len(), 10);
        timers.compact(10, |_, _| false);
        assert_eq!(timers.len(), 10, "below the threshold nothing is scanned");
    }
}
