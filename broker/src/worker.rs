//! The Rust worker library: serve services behind a Scale0 broker with the handler-style API of
//! `mongrel2_compat::handler`, plus capacity, heartbeats, cancellation and graceful shutdown
//! (S0W/1, `docs/worker-protocol.md`).
//!
//! [`Worker::connect`] starts one I/O thread that owns the DEALER socket (ZeroMQ sockets are not
//! thread-safe) and keeps heartbeats flowing however long user code works on a request. User threads
//! take [`Job`]s with [`Worker::recv`], answer with [`Job::reply`] / [`Job::reply_http`] /
//! [`Job::deliver`], and finish with [`Job::done`] (or by dropping the job), which gives the slot back.
//! Their requests reach the I/O thread over a bounded channel and wake it through a socketpair it polls
//! beside the socket, so nothing waits on a polling interval. The protocol logic is a sans-IO state
//! machine (`worker/session.rs`); the thread (`worker/io.rs`) only performs what it decides.
//!
//! A worker with capacity N is usually served by N threads (or N async tasks) sharing clones of the
//! [`Worker`] handle. The broker never sends more than N requests not yet DONE, and the library refuses
//! an (N+1)th if it did. CANCEL arrives as a job of its own ([`Job::is_cancel`]) carrying the Mongrel2
//! disconnect notice, and flags the request's job ([`Job::is_cancelled`]). When the broker goes silent the
//! worker reconnects with backoff and registers again; RECONNECT-TO moves it after its held requests are
//! done; [`Worker::shutdown`] drains.
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

use crate::protocol::{self, ServiceName, MAX_CAPACITY, MAX_SERVICES_PER_READY};

pub use job::Job;
pub use settings::{Settings, SettingsError, MAX_OUTBOX};

use outbox::{Outbox, Shared};
use queue::Queue;
use session::{Outbound, Session};

/// Why a worker call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A [`Settings`] field is out of range.
    #[error("invalid worker settings: {0}")]
    Settings(#[from] SettingsError),
    /// A service name breaks the protocol's rules (charset, length).
    #[error("service {name:?} cannot be announced: {source}")]
    Service {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        #[source]
        source: protocol::Error,
    },
    /// No services, or more than one READY can carry.
    #[error("{count} services given; 1..={max} allowed")]
    ServiceCount {
        /// How many were given.
        count: usize,
        /// The protocol's cap.
        max: usize,
    },
    /// The same service named twice.
    #[error("service {name:?} given twice")]
    DuplicateService {
        /// The repeated name.
        name: String,
    },
    /// Capacity outside what READY can announce.
    #[error("capacity {capacity} outside 1..={max}")]
    Capacity {
        /// The capacity given.
        capacity: u32,
        /// The protocol's cap.
        max: u32,
    },
    /// A libzmq call failed; `op` names it.
    #[error("zmq {op}: {source}")]
    Zmq {
        /// The operation.
        op: &'static str,
        /// libzmq's error.
        #[source]
        source: zmq::Error,
    },
    /// The broker endpoint was refused by libzmq (syntax, unknown transport).
    #[error("cannot connect to broker endpoint {endpoint:?}: {source}")]
    Endpoint {
        /// The endpoint.
        endpoint: String,
        /// libzmq's error.
        #[source]
        source: zmq::Error,
    },
    /// The socketpair that wakes the I/O thread could not be created.
    #[error("creating the I/O thread's wake socketpair: {0}")]
    Wake(#[source] std::io::Error),
    /// The I/O thread could not be started.
    #[error("starting the worker's I/O thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// The job's registration was abandoned (broker silent or DISCONNECT): the broker has already failed
    /// or re-dispatched the request, so replying is pointless.
    #[error("the job was abandoned: the broker has failed or re-dispatched it")]
    Abandoned,
    /// The worker has stopped (shut down, or its I/O thread failed).
    #[error("the worker has stopped")]
    Stopped,
    /// [`Worker::shutdown`]'s grace period elapsed with requests unfinished; the broker fails or
    /// retries them.
    #[error("shutdown grace elapsed with {abandoned} request(s) unfinished")]
    GraceElapsed {
        /// Requests held when the worker gave up.
        abandoned: usize,
    },
    /// A WebSocket frame could not be built (e.g. a control frame over 125 bytes).
    #[error("websocket frame: {0}")]
    WebSocket(#[from] mongrel2_compat::websocket::Error),
}

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
        let shared = Arc::new(Shared::new(Queue::new(slots.saturating_mul(2)), wake_tx));
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
            inbox,
            wake: wake_rx,
            outbox: outbox.clone(),
            shared: shared.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("scale0-worker-io".to_owned())
            .spawn(move || io::run(io))
            .map_err(Error::Spawn)?;
        shared.set_thread(thread);
        Ok(Worker {
            outbox,
            _token: token,
            capacity,
        })
    }

    /// Waits for the next job. `None` once the worker has stopped (after [`Worker::shutdown`]).
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
    pub fn shutdown(&self, grace: Duration) -> Result<(), Error> {
        let shared = &self.outbox.shared;
        if self.outbox.send(Outbound::Shutdown { grace }).is_err() {
            tracing::debug!("shutdown of a worker already stopped");
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
