//! [`Quiet`]: a future polled only after it was woken.
//!
//! A connection task selects over its HTTP connection and a few rare events
//! (close signal, kill, shutdown). `tokio::select!` polls every branch each
//! time the task wakes, and the task wakes several times per request, so the
//! rare branches cost a lock and a few atomics per wake-up for nothing. Wrapped
//! in a `Quiet`, they are polled again only when one of their own wakers fired.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use atomic_waker::AtomicWaker;

/// Wraps `F`, polling it only on its first poll and after its wakers fired.
pub struct Quiet<F> {
    inner: Pin<Box<F>>,
    signal: Arc<Signal>,
    /// The waker handed to `inner`: sets `signal.woken`, wakes the outer task.
    waker: Waker,
}

struct Signal {
    woken: AtomicBool,
    outer: AtomicWaker,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.outer.wake();
    }
}

impl<F: Future> Quiet<F> {
    /// `inner`, to be polled only when it asked to be.
    pub fn new(inner: F) -> Self {
        let signal = Arc::new(Signal {
            woken: AtomicBool::new(true),
            outer: AtomicWaker::new(),
        });
        Quiet {
            inner: Box::pin(inner),
            waker: Waker::from(signal.clone()),
            signal,
        }
    }
}

impl<F: Future> Future for Quiet<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Register before looking at the flag, so a wake in between is not lost.
        self.signal.outer.register(cx.waker());
        if !self.signal.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let this = &mut *self;
        this.inner
            .as_mut()
            .poll(&mut Context::from_waker(&this.waker))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;
    use tokio_util::sync::CancellationToken;

    /// Counts its polls; pending until `token` is cancelled.
    async fn counted(token: CancellationToken, polls: Arc<AtomicUsize>) {
        let cancelled = token.cancelled();
        tokio::pin!(cancelled);
        std::future::poll_fn(|cx| {
            polls.fetch_add(1, Ordering::Relaxed);
            cancelled.as_mut().poll(cx)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn the_inner_future_is_polled_once_until_its_own_wake_then_completes() {
        let token = CancellationToken::new();
        let polls = Arc::new(AtomicUsize::new(0));
        let quiet = Quiet::new(counted(token.clone(), polls.clone()));
        tokio::pin!(quiet);
        // The task wakes often for other reasons (a ticking interval here).
        let mut ticks = tokio::time::interval(Duration::from_millis(1));
        for _ in 0..100 {
            tokio::select! {
                _ = quiet.as_mut() => panic!("completed before the cancel"),
                _ = ticks.tick() => {}
            }
        }
        assert_eq!(polls.load(Ordering::Relaxed), 1);
        token.cancel();
        tokio::time::timeout(Duration::from_secs(1), quiet)
            .await
            .expect("completes once its own waker fired");
        assert_eq!(polls.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn a_wake_from_another_thread_reaches_the_task() {
        let token = CancellationToken::new();
        let quiet = Quiet::new(token.clone().cancelled_owned());
        let cancel = std::thread::spawn(move || token.cancel());
        tokio::time::timeout(Duration::from_secs(10), quiet)
            .await
            .expect("woken by the other thread's cancel");
        cancel.join().unwrap();
    }
}
