//! How user threads reach the I/O thread: a bounded channel of [`Outbound`] requests plus a socketpair
//! byte that wakes the thread out of `zmq::poll` at once (no polling delay), and the state both sides
//! share (the job queue, the current epoch, whether the worker has stopped). The thread serving a
//! worker inline bypasses the channel (`io/inline.rs`).

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use super::io::offer;
use super::queue::Queue;
use super::session::Outbound;
use super::{Error, Job};

/// State shared by the I/O thread and every handle.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Jobs delivered and not yet taken by a user thread.
    pub(crate) queue: Queue<Job>,
    /// The session's current epoch: jobs of an older one are void.
    pub(crate) epoch: AtomicU64,
    /// Set once the I/O thread has finished (or is finishing).
    pub(crate) stopped: AtomicBool,
    /// Requests still held when the worker stopped (a shutdown whose grace elapsed).
    pub(crate) abandoned: AtomicUsize,
    /// Write end of the wake socketpair; the I/O thread polls the read end.
    wake: UnixStream,
    /// Set by the first user thread that wakes the I/O thread, cleared by the
    /// I/O thread just before it drains the outbox: later wakers skip the
    /// syscall while a wake-up is already on its way.
    wake_pending: AtomicBool,
    /// The I/O thread, joined by the first [`super::Worker::shutdown`].
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Shared {
    pub(crate) fn new(queue: Queue<Job>, wake: UnixStream) -> Self {
        Shared {
            queue,
            epoch: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            abandoned: AtomicUsize::new(0),
            wake,
            wake_pending: AtomicBool::new(false),
            thread: Mutex::new(None),
        }
    }

    /// Records the I/O thread so a shutdown can wait for its last messages to be flushed.
    pub(crate) fn set_thread(&self, thread: JoinHandle<()>) {
        *self.thread.lock().unwrap_or_else(PoisonError::into_inner) = Some(thread);
    }

    /// Takes the I/O thread's handle (only the first caller gets it).
    pub(crate) fn take_thread(&self) -> Option<JoinHandle<()>> {
        self.thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Called by the I/O thread after it read the wake bytes and before it
    /// drains the outbox, so a request queued from now on wakes it again.
    pub(crate) fn woken(&self) {
        self.wake_pending.store(false, Ordering::SeqCst);
    }

    /// Whether a job of `epoch` is still the broker's business.
    pub(crate) fn is_current(&self, epoch: u64) -> bool {
        !self.stopped.load(Ordering::Acquire) && self.epoch.load(Ordering::Acquire) == epoch
    }

    /// Wakes the I/O thread. A full socketpair buffer means wake-ups are already pending, so
    /// `WouldBlock` needs no retry.
    fn wake(&self) {
        if self.wake_pending.swap(true, Ordering::SeqCst) {
            return;
        }
        match (&self.wake).write(&[1]) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) => {
                self.wake_pending.store(false, Ordering::SeqCst);
                tracing::debug!(%error, "waking the worker's I/O thread failed");
            }
        }
    }
}

/// A user-side handle to the I/O thread: cheap to clone, `Send + Sync`.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    sender: SyncSender<Outbound>,
    pub(crate) shared: Arc<Shared>,
}

impl Outbox {
    pub(crate) fn new(sender: SyncSender<Outbound>, shared: Arc<Shared>) -> Self {
        Outbox { sender, shared }
    }

    /// Queues `outbound` for the I/O thread (waiting while the outbox is full) and wakes it; on the
    /// thread serving the worker inline, performs it at once instead (no queue, no wake).
    pub(crate) fn send(&self, outbound: Outbound) -> Result<(), Error> {
        let outbound = match offer(&self.shared, outbound) {
            Ok(sent) => return sent,
            Err(outbound) => outbound,
        };
        self.sender.send(outbound).map_err(|_| Error::Stopped)?;
        self.shared.wake();
        Ok(())
    }
}
