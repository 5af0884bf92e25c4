//! Inline serving: the calling thread runs the I/O loop and calls the user's handler for each job where
//! the I/O thread would queue it, so a request costs no thread hop, no futex and no wake byte.
//!
//! While [`Inline::serve`] runs, a thread-local *lane* points at its loop. A job replying on that thread
//! (during the handler call) finds the lane and hands its request straight to the session, which sends
//! it on the socket before the call returns; a job moved to another thread finds no lane there and takes
//! the outbox (channel plus wake) as in threaded mode. The loop is only borrowed between handler calls,
//! never during one, so the lane can always borrow it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use super::{Io, Loop, StopGuard, MAX_BACKLOG};
use crate::worker::outbox::Shared;
use crate::worker::session::{Action, Delivery, Outbound};
use crate::worker::{Error, Job, Worker};

/// A handler call that returns within this is *quick*: its replies wait for the next call of the same
/// batch, so the replies of a batch of quick calls leave in one write (one wake-up of the broker instead
/// of one per request). After a slower call, what is queued is written at once, so replies wait behind
/// at most the one call that follows a quick one.
pub const QUICK_CALL: std::time::Duration = std::time::Duration::from_micros(50);

thread_local! {
    /// The loop an inline worker serves on this thread, for its jobs' replies.
    static LANE: RefCell<Option<Lane>> = const { RefCell::new(None) };
}

/// The serving loop of one worker (`shared` tells which).
struct Lane {
    shared: Arc<Shared>,
    core: Rc<RefCell<Loop>>,
}

impl Lane {
    fn serves(&self, shared: &Shared) -> bool {
        std::ptr::eq(Arc::as_ptr(&self.shared), shared)
    }
}

/// Keeps a lane installed while `serve` runs (also when the handler panics) and then puts back what
/// was there before, so a worker served inside another's handler does not break the outer one.
struct Installed {
    previous: Option<Lane>,
}

impl Installed {
    fn new(lane: Lane) -> Installed {
        let previous = LANE.with(|slot| slot.replace(Some(lane)));
        Installed { previous }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let ours = LANE.try_with(|slot| slot.replace(previous));
        drop(ours);
    }
}

/// Whether the calling thread is the one serving the worker of `shared` (inside its handler).
pub(crate) fn serving(shared: &Shared) -> bool {
    LANE.try_with(|slot| {
        slot.try_borrow()
            .is_ok_and(|lane| lane.as_ref().is_some_and(|lane| lane.serves(shared)))
    })
    .unwrap_or(false)
}

/// Performs `outbound` at once when the calling thread serves the worker of `shared` inline (the
/// inner result is the send's); gives it back otherwise, for the outbox.
pub(crate) fn offer(shared: &Shared, outbound: Outbound) -> Result<Result<(), Error>, Outbound> {
    let core = LANE.try_with(|slot| {
        let lane = slot.try_borrow().ok()?;
        let lane = lane.as_ref().filter(|lane| lane.serves(shared))?;
        Some(lane.core.clone())
    });
    let Some(core) = core.ok().flatten() else {
        return Err(outbound);
    };
    let Ok(mut lp) = core.try_borrow_mut() else {
        return Err(outbound);
    };
    Ok(lp.direct(outbound))
}

/// A worker registration served on the calling thread by [`Inline::serve`]; made by
/// [`Worker::connect_inline`]. `Send`: build it on one thread, serve on another. Dropping it unserved
/// stops the worker (nothing was registered).
#[must_use = "nothing is served until Inline::serve runs"]
pub struct Inline {
    io: Io,
    guard: StopGuard,
    /// Keeps the registration alive while serving, whatever the caller does with its handles.
    worker: Worker,
}

impl fmt::Debug for Inline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inline")
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

impl Inline {
    pub(crate) fn new(io: Io, worker: Worker) -> Inline {
        let guard = StopGuard(io.shared.clone());
        Inline { io, guard, worker }
    }

    /// Registers and serves on the calling thread until the worker stops: `handler` gets every job
    /// (requests and cancel notices) in the order the broker sent them, one at a time; what it sends
    /// during the call goes out before the loop next waits for the broker, together with the replies
    /// of the other quick calls of the batch read with it (see [`QUICK_CALL`]), or at once after a
    /// slower call. Returns `Ok` once a
    /// [`Worker::shutdown`] (from any handle, any thread, or the handler itself) has drained.
    ///
    /// Trade-off: nothing else happens on this thread while the handler runs — no heartbeat, no
    /// reading. Return well within the broker's liveness (interval × liveness, 3 s by default), or move
    /// the [`Job`] to another thread for long work (its replies then go through the outbox).
    ///
    /// A handler error other than [`Error::Abandoned`] (a reply to a job the broker already gave up,
    /// which needs no action) starts a graceful shutdown with [`crate::worker::Settings::drop_grace`]; the
    /// handler keeps getting the jobs that arrive during the drain, and `serve` returns the first error.
    /// A failure of the loop itself (libzmq) is returned too.
    pub fn serve<F>(self, mut handler: F) -> Result<(), Error>
    where
        F: FnMut(Job) -> Result<(), Error>,
    {
        let Inline { io, guard, worker } = self;
        let outbox = io.outbox.clone();
        let grace = io.settings.drop_grace;
        let core = Rc::new(RefCell::new(Loop::new(io, true)));
        let lane = Installed::new(Lane {
            shared: outbox.shared.clone(),
            core: core.clone(),
        });
        let mut actions = Vec::new();
        core.borrow_mut().start(&mut actions);
        let mut failure = None;
        while let Some(delivery) = next(&core, &mut actions) {
            let called = Instant::now();
            let result = handler(Job::new(delivery, outbox.clone()));
            if called.elapsed() >= QUICK_CALL {
                core.borrow_mut().write_pending();
            }
            match result {
                Ok(()) => {}
                Err(Error::Abandoned) => tracing::debug!("the handler replied to an abandoned job"),
                Err(error) if failure.is_none() => {
                    tracing::error!(%error, "the handler failed; shutting down");
                    if core
                        .borrow_mut()
                        .direct(Outbound::Shutdown { grace })
                        .is_err()
                    {
                        tracing::debug!("worker already stopped");
                    }
                    failure = Some(error);
                }
                Err(error) => tracing::debug!(%error, "the handler failed again while draining"),
            }
        }
        drop(lane);
        let fatal = {
            let mut lp = core.borrow_mut();
            lp.flush_on_exit();
            lp.failure.take()
        };
        // The loop (socket, outbox receiver) goes first, so the token dropped last finds the outbox
        // closed; the guard then releases the `Worker::shutdown` callers.
        drop(core);
        drop(guard);
        drop(worker);
        fatal.or(failure).map_or(Ok(()), Err)
    }
}

/// Runs the loop until a delivery waits for the handler; `None` once the worker has stopped.
fn next(core: &RefCell<Loop>, actions: &mut Vec<Action>) -> Option<Delivery> {
    let mut lp = core.borrow_mut();
    loop {
        if !lp.running {
            return None;
        }
        if let Some(delivery) = lp.ready.as_mut().and_then(VecDeque::pop_front) {
            return Some(delivery);
        }
        lp.step(actions);
    }
}

impl Loop {
    /// A request from a job on the serving thread, performed now. Requests already in the outbox (from
    /// jobs on other threads; at most what it holds, so they cannot keep this one waiting) go first, so a
    /// job's replies keep their order wherever it was. While
    /// libzmq refuses messages and the backlog is full, it waits for the socket as the loop would.
    fn direct(&mut self, outbound: Outbound) -> Result<(), Error> {
        if !self.running {
            return Err(Error::Stopped);
        }
        let mut actions = std::mem::take(&mut self.scratch);
        for _ in 0..self.io.settings.outbox {
            let Ok(earlier) = self.io.inbox.try_recv() else {
                break;
            };
            self.io.session.user(earlier, Instant::now(), &mut actions);
            self.perform(&mut actions);
            self.relieve(&mut actions);
        }
        self.io.session.user(outbound, Instant::now(), &mut actions);
        self.perform(&mut actions);
        self.relieve(&mut actions);
        self.scratch = actions;
        Ok(())
    }

    /// Turns the loop (reading nothing new from the broker) until the send backlog is below its cap.
    fn relieve(&mut self, actions: &mut Vec<Action>) {
        while self.running && self.backlog.len() >= MAX_BACKLOG {
            self.step(actions);
        }
    }
}
