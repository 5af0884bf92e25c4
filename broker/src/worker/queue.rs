//! The bounded hand-off between the I/O thread and user threads: a deque behind a mutex with a condvar,
//! so any number of user threads can wait in [`Queue::pop`] (std's channels have one receiver) and the
//! I/O thread can void the jobs of an abandoned registration before anyone takes them.
//!
//! The I/O thread never blocks on it: [`Queue::push`] gives the item back when full. The session never
//! delivers more than twice the capacity (each held request plus at most one cancel notice), which is
//! the queue's bound.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// A bounded multi-consumer queue that can be stopped; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct Queue<T> {
    state: Mutex<State<T>>,
    /// Signalled per item pushed (one waiter takes it) and on stop.
    available: Condvar,
    /// Signalled on stop only, so [`Queue::wait_stopped`] never swallows an item's wake-up.
    stopped: Condvar,
}

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    cap: usize,
    stopped: bool,
    /// Threads blocked in [`Queue::pop`]: a push wakes one only when some wait, since a condvar
    /// notify is a `futex` system call even when nobody waits.
    waiting: usize,
}

impl<T> Queue<T> {
    /// An empty queue holding at most `cap` items.
    pub(crate) fn new(cap: usize) -> Self {
        Queue {
            state: Mutex::new(State {
                items: VecDeque::with_capacity(cap),
                cap,
                stopped: false,
                waiting: 0,
            }),
            available: Condvar::new(),
            stopped: Condvar::new(),
        }
    }

    /// The lock; a panic in another holder cannot leave the deque inconsistent, so poison is ignored.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `item` and wakes one waiter; gives it back when the queue is full or stopped.
    pub(crate) fn push(&self, item: T) -> Result<(), T> {
        let mut state = self.lock();
        if state.stopped || state.items.len() >= state.cap {
            return Err(item);
        }
        state.items.push_back(item);
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.available.notify_one();
        }
        Ok(())
    }

    /// The oldest item, waiting until `deadline` (forever when `None`). `None` on timeout, or once the
    /// queue is stopped.
    pub(crate) fn pop(&self, deadline: Option<Instant>) -> Option<T> {
        let mut state = self.lock();
        loop {
            if let Some(item) = state.items.pop_front() {
                return Some(item);
            }
            if state.stopped {
                return None;
            }
            let left = match deadline {
                None => None,
                Some(deadline) => Some(deadline.checked_duration_since(Instant::now())?),
            };
            state.waiting = state.waiting.saturating_add(1);
            state = match left {
                None => self
                    .available
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(left) => {
                    self.available
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
            state.waiting = state.waiting.saturating_sub(1);
        }
    }

    /// Removes the items `keep` rejects and returns them, so the caller drops them outside the lock.
    pub(crate) fn remove_unless(&self, keep: impl Fn(&T) -> bool) -> Vec<T> {
        let mut state = self.lock();
        let mut removed = Vec::new();
        for item in std::mem::take(&mut state.items) {
            if keep(&item) {
                state.items.push_back(item);
            } else {
                removed.push(item);
            }
        }
        removed
    }

    /// Refuses further items, wakes every waiter, and returns what was queued.
    pub(crate) fn stop(&self) -> Vec<T> {
        let mut state = self.lock();
        state.stopped = true;
        let left = state.items.drain(..).collect();
        drop(state);
        self.available.notify_all();
        self.stopped.notify_all();
        left
    }

    /// Waits until [`Queue::stop`] is called.
    pub(crate) fn wait_stopped(&self) {
        let mut state = self.lock();
        while !state.stopped {
            state = self
                .stopped
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn full_queue_gives_the_item_back() {
        let q = Queue::new(2);
        assert_eq!(q.push(1), Ok(()));
        assert_eq!(q.push(2), Ok(()));
        assert_eq!(q.push(3), Err(3));
        assert_eq!(q.pop(Some(Instant::now())), Some(1));
    }

    #[test]
    fn pop_times_out_when_empty() {
        let q: Queue<u8> = Queue::new(1);
        assert_eq!(q.pop(Some(Instant::now() + Duration::from_millis(5))), None);
    }

    #[test]
    fn remove_unless_keeps_order_of_the_rest() {
        let q = Queue::new(8);
        (1..=5).for_each(|i| q.push(i).unwrap());
        assert_eq!(q.remove_unless(|&i| i % 2 == 0), vec![1, 3, 5]);
        assert_eq!(q.pop(None), Some(2));
        assert_eq!(q.pop(None), Some(4));
    }

    #[test]
    fn an_item_reaches_a_consumer_while_another_thread_waits_for_stop() {
        let q: Arc<Queue<u8>> = Arc::new(Queue::new(1));
        let stop_waiter = {
            let q = q.clone();
            std::thread::spawn(move || q.wait_stopped())
        };
        let consumer = {
            let q = q.clone();
            std::thread::spawn(move || q.pop(None))
        };
        q.push(7).unwrap();
        assert_eq!(consumer.join().unwrap(), Some(7));
        q.stop();
        stop_waiter.join().unwrap();
    }

    #[test]
    fn stop_wakes_every_waiter_and_refuses_items() {
        let q: Arc<Queue<u8>> = Arc::new(Queue::new(1));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let q = q.clone();
                std::thread::spawn(move || q.pop(None))
            })
            .collect();
        q.stop();
        for w in waiters {
            assert_eq!(w.join().unwrap(), None);
        }
        assert_eq!(q.push(1), Err(1));
        q.wait_stopped();
    }
}
