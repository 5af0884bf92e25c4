//! The Rust worker library: serve services behind a Scale0 broker with the handler-style API of
//! `mongrel2_compat::handler`, plus capacity, heartbeats, cancellation and graceful shutdown
//! (S0W/1, `docs/worker-protocol.md`).
//!
//! Two ways to serve, one protocol core. The protocol logic is a sans-IO state machine
//! (`worker/session.rs`); an I/O loop (`worker/io.rs`) owns the DEALER socket (ZeroMQ sockets are not
//! thread-safe) and performs what the session decides.
//!
//! * **Threaded** — [`Worker::connect`] starts one I/O thread that keeps heartbeats flowing however long
//!   user code works on a request. User threads take [`Job`]s with [`Worker::recv`]; their replies reach
//!   the I/O thread over a bounded channel and wake it through a socketpair it polls beside the socket,
//!   so nothing waits on a polling interval. For handlers that block or take long.
//! * **Inline** — [`Worker::connect_inline`] returns an [`Inline`] whose [`Inline::serve`] runs the I/O
//!   loop on the calling thread and calls the handler for each job where the I/O thread would queue it;
//!   replies made during the call go through the session to the socket at once. No thread hop, no wake,
//!   no futex: for handlers that answer in microseconds. No heartbeat is sent while the handler runs, so
//!   a handler must return well within the broker's liveness (interval × liveness, 3 s by default) or
//!   move long work (the [`Job`]) to another thread, whose replies then take the threaded path.
//!
//! Either way user code answers with [`Job::reply`] / [`Job::reply_http`] / [`Job::deliver`] and
//! finishes with [`Job::done`] (or by dropping the job), which gives the slot back; the common "one
//! reply, then done" is [`Job::reply_and_done`], one REPLY-DONE message.
//!
//! A threaded worker with capacity N is usually served by N threads (or N async tasks) sharing clones
//! of the [`Worker`] handle. The broker never sends more than N requests not yet DONE, and the library
//! refuses an (N+1)th if it did. CANCEL arrives as a job of its own ([`Job::is_cancel`]) carrying the
//! Mongrel2 disconnect notice, and flags the request's job ([`Job::is_cancelled`]). When the broker goes
//! silent the worker reconnects with backoff and registers again; RECONNECT-TO moves it after its held
//! requests are done; [`Worker::shutdown`] (from any clone, any thread) drains.
//!
//! ```no_run
//! use std::time::Duration;
//! use scale0_broker::worker::{Settings, Worker};
//!
//! let worker = Worker::connect("tcp://127.0.0.1:5560", &["hello"], 1, Settings::default())?;
//! while let Some(job) = worker.recv() {
//!     if job.is_cancel() {
//!         continue; // the client went away; the request's own job still finishes
//!     }
//!     let path = job.request().map(|r| String::from_utf8_lossy(r.path).into_owned());
//!     let body = format!("hello from {}\n", path.unwrap_or_default());
//!     job.reply_http(body.as_bytes(), 200, "OK", &[("Content-Type", "text/plain")])?;
//!     job.done()?;
//! }
//! worker.shutdown(Duration::from_secs(10))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same service inline; `worker` stays usable from other threads (a signal handler) to shut down:
//!
//! ```no_run
//! use scale0_broker::worker::{Settings, Worker};
//!
//! let (worker, inline) =
//!     Worker::connect_inline("tcp://127.0.0.1:5560", &["hello"], 64, Settings::default())?;
//! # drop(worker);
//! inline.serve(|job| {
//!     if job.is_cancel() {
//!         return Ok(());
//!     }
//!     job.reply_http_and_done(b"hello\n", 200, "OK", &[("Content-Type", "text/plain")])
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod io;
mod job;
mod outbox;
mod queue;
mod session;
mod settings;
#[cfg(test)]
mod tests;

use std::os::unix::net::UnixStream;
use std::sync::atomic::Ordering;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::protocol::{ServiceName, MAX_CAPACITY, MAX_SERVICES_PER_READY};

pub use error::Error;
pub use io::{Inline, QUICK_CALL};
pub use job::Job;
pub use settings::{Settings, SettingsError, MAX_OUTBOX};

use outbox::{Outbox, Shared};
use queue::Queue;
use session::{Outbound, Session};

/// A handle to one worker registration: `Clone + Send + Sync`, so N threads can serve N slots. Dropping
/// the last handle without [`Worker::shutdown`] starts a shutdown with [`Settings::drop_grace`].
#[derive(Debug, Clone)]
pub struct Worker {
    outbox: Outbox,
    _token: Arc<Token>,
    capacity: u32,
}

/// Shared by the [`Worker`] clones only (not by jobs): its drop means nobody can take jobs any more.
#[derive(Debug)]
struct Token {
    outbox: Outbox,
    grace: Duration,
}

impl Drop for Token {
    fn drop(&mut self) {
        let grace = self.grace;
        if self.outbox.send(Outbound::Shutdown { grace }).is_err() {
            tracing::debug!("worker already stopped when its last handle was dropped");
        }
    }
}

impl Worker {
    /// Connects to the broker's worker endpoint and registers `services` with `capacity` concurrent
    /// requests. Returns once the I/O thread runs; registration proceeds in the background (the broker
    /// need not be up yet).
    pub fn connect(
        endpoint: &str,
        services: &[&str],
        capacity: u32,
        settings: Settings,
    ) -> Result<Worker, Error> {
        let (worker, io) = Worker::prepare(endpoint, services, capacity, settings)?;
        let shared = io.shared.clone();
        let thread = std::thread::Builder::new()
            .name("scale0-worker-io".to_owned())
            .spawn(move || io::run(io))
            .map_err(Error::Spawn)?;
        shared.set_thread(thread);
        Ok(worker)
    }

    /// Like [`Worker::connect`], but nothing runs until [`Inline::serve`] is called: the serving thread
    /// becomes the I/O thread and calls a handler per job, with no thread hop in between. The [`Worker`]
    /// handle (and its clones) can only ask for [`Worker::shutdown`] and report state: jobs go to the
    /// handler, never to [`Worker::recv`].
    pub fn connect_inline(
        endpoint: &str,
        services: &[&str],
        capacity: u32,
        settings: Settings,
    ) -> Result<(Worker, Inline), Error> {
        let (worker, io) = Worker::prepare(endpoint, services, capacity, settings)?;
        Ok((worker.clone(), Inline::new(io, worker)))
    }

    /// Validates the arguments, opens the socket (so a bad endpoint fails here) and builds the I/O
    /// loop's state, not yet running.
    fn prepare(
        endpoint: &str,
        services: &[&str],
        capacity: u32,
        settings: Settings,
    ) -> Result<(Worker, io::Io), Error> {
        settings.validate()?;
        let services = service_names(services)?;
        if capacity == 0 || capacity > MAX_CAPACITY {
            return Err(Error::Capacity {
                capacity,
                max: MAX_CAPACITY,
            });
        }
        let ctx = zmq::Context::new();
        let socket = io::open(&ctx, &settings, endpoint)?;
        let (wake_rx, wake_tx) = UnixStream::pair().map_err(Error::Wake)?;
        wake_rx.set_nonblocking(true).map_err(Error::Wake)?;
        wake_tx.set_nonblocking(true).map_err(Error::Wake)?;
        let slots = usize::try_from(capacity).unwrap_or(usize::MAX);
        let jobs = slots.saturating_mul(2);
        let shared = Arc::new(Shared::new(Queue::new(jobs), wake_tx));
        let (sender, inbox) = sync_channel(settings.outbox);
        let outbox = Outbox::new(sender, shared.clone());
        let backoff = (settings.backoff_initial, settings.backoff_max);
        let session = Session::new(
            endpoint.to_owned(),
            services,
            capacity,
            settings.heartbeat,
            backoff,
            Instant::now(),
        );
        let token = Arc::new(Token {
            outbox: outbox.clone(),
            grace: settings.drop_grace,
        });
        let io = io::Io {
            ctx,
            primed: Some((endpoint.to_owned(), socket)),
            settings,
            session,
            jobs,
            inbox,
            wake: wake_rx,
            outbox: outbox.clone(),
            shared,
        };
        let worker = Worker {
            outbox,
            _token: token,
            capacity,
        };
        Ok((worker, io))
    }

    /// Waits for the next job. `None` once the worker has stopped (after [`Worker::shutdown`]). An
    /// inline worker's jobs go to its handler: here it only waits for the stop (so its handler must
    /// not call it).
    pub fn recv(&self) -> Option<Job> {
        self.next(None)
    }

    /// Waits up to `timeout` for the next job. `None` on timeout or once the worker has stopped
    /// ([`Worker::is_stopped`] tells which).
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Job> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.next(Some(deadline)),
            None => self.next(None),
        }
    }

    /// Takes the next job of the current registration; jobs voided by a reconnect are dropped unseen.
    fn next(&self, deadline: Option<Instant>) -> Option<Job> {
        let shared = &self.outbox.shared;
        loop {
            let job = shared.queue.pop(deadline)?;
            if shared.is_current(job.epoch()) {
                return Some(job);
            }
        }
    }

    /// Graceful shutdown: DRAIN (the broker sends nothing new), wait up to `grace` for every held
    /// request to be DONE (keep serving jobs meanwhile: requests sent before the broker saw DRAIN still
    /// arrive), then DISCONNECT and stop the I/O thread. Returns once the final messages are flushed.
    /// Call it from a thread that holds no unfinished job, or it waits out the grace.
    ///
    /// Called from the handler of [`Inline::serve`] it only starts the drain and returns `Ok` at once
    /// (the drain needs that thread back); `serve` returns when the drain is over.
    pub fn shutdown(&self, grace: Duration) -> Result<(), Error> {
        let shared = &self.outbox.shared;
        let serving = io::serving(shared);
        if self.outbox.send(Outbound::Shutdown { grace }).is_err() {
            tracing::debug!("shutdown of a worker already stopped");
        }
        if serving {
            return Ok(());
        }
        shared.queue.wait_stopped();
        if let Some(thread) = shared.take_thread() {
            if thread.join().is_err() {
                tracing::error!("the worker's I/O thread panicked");
            }
        }
        match shared.abandoned.load(Ordering::Acquire) {
            0 => Ok(()),
            abandoned => Err(Error::GraceElapsed { abandoned }),
        }
    }

    /// Whether the worker has stopped: [`Worker::recv`] returns `None` from now on.
    pub fn is_stopped(&self) -> bool {
        self.outbox.shared.stopped.load(Ordering::Acquire)
    }

    /// The capacity announced in READY.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }
}

/// Validates the service names as READY will carry them.
fn service_names(services: &[&str]) -> Result<Vec<ServiceName>, Error> {
    if services.is_empty() || services.len() > MAX_SERVICES_PER_READY {
        return Err(Error::ServiceCount {
            count: services.len(),
            max: MAX_SERVICES_PER_READY,
        });
    }
    let mut names: Vec<ServiceName> = Vec::with_capacity(services.len());
    for &name in services {
        let service = ServiceName::new(name.as_bytes()).map_err(|source| Error::Service {
            name: name.to_owned(),
            source,
        })?;
        if names.contains(&service) {
            return Err(Error::DuplicateService {
                name: name.to_owned(),
            });
        }
        names.push(service);
    }
    Ok(names)
}
