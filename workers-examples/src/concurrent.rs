//! Serving a worker's jobs as tokio tasks: with capacity N, N requests are in progress at once, each an
//! async task that awaits its I/O (here a timer standing in for a database call) without holding a
//! thread.
//!
//! The worker library is blocking, so one blocking-pool thread takes jobs with
//! [`Worker::recv`] and passes them over a bounded channel to the async side, which spawns one task per
//! job on a [`TaskTracker`]. [`serve`] returns once the worker has stopped and every task has finished.
//! Replying from a task is a send on the worker's bounded outbox: immediate unless the broker stops
//! reading, when it blocks that task's thread briefly, which is the back-pressure.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use scale0_broker::worker::{Job, Worker};
use tokio_util::task::TaskTracker;

/// Longest nap a request may ask for.
pub const MAX_NAP: Duration = Duration::from_secs(10);

/// Nap when the request does not say (`?ms=`).
pub const DEFAULT_NAP: Duration = Duration::from_millis(200);

/// Runs `handler` as a task for every job of `worker` (requests and cancel notices alike) until the
/// worker stops. Returns how many jobs were handled.
pub async fn serve<H, F>(worker: Worker, handler: H) -> u64
where
    H: Fn(Job) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let slots = usize::try_from(worker.capacity()).unwrap_or(1);
    let (jobs_tx, mut jobs) = tokio::sync::mpsc::channel(slots.saturating_mul(2));
    let receiver = tokio::task::spawn_blocking(move || {
        while let Some(job) = worker.recv() {
            if jobs_tx.blocking_send(job).is_err() {
                break;
            }
        }
    });
    let tasks = TaskTracker::new();
    let mut handled = 0;
    while let Some(job) = jobs.recv().await {
        tasks.spawn(handler(job));
        handled += 1;
    }
    tasks.close();
    tasks.wait().await;
    if let Err(error) = receiver.await {
        tracing::error!(%error, "job receiver failed");
    }
    handled
}

/// Requests in progress now and the most seen at once.
#[derive(Debug, Default)]
pub struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    /// One more in progress; returns how many now.
    fn enter(&self) -> usize {
        let now = self.now.fetch_add(1, Ordering::AcqRel) + 1;
        self.peak.fetch_max(now, Ordering::AcqRel);
        now
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::AcqRel);
    }

    /// The most requests seen in progress at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Acquire)
    }
}

/// The async-worker's handler: naps `?ms=` milliseconds (default [`DEFAULT_NAP`], at most [`MAX_NAP`]),
/// then answers with how many requests were in progress when it started and the peak so far.
pub async fn nap(job: Job, gauge: Arc<Gauge>) {
    if job.is_cancel() {
        return tracing::debug!(request = ?job.id(), "client went away");
    }
    let (path, nap) = match job.request() {
        Ok(request) => {
            let ms = request
                .headers
                .get_str(b"QUERY")
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("ms=")))
                .and_then(|ms| ms.parse().ok())
                .map_or(DEFAULT_NAP, Duration::from_millis);
            (
                String::from_utf8_lossy(request.path).into_owned(),
                ms.min(MAX_NAP),
            )
        }
        Err(error) => {
            tracing::warn!(%error, "malformed request message");
            let plain = [("Content-Type", "text/plain")];
            let bad = b"malformed request message\n";
            if let Err(error) = job.reply_http(bad, 502, "Bad Gateway", &plain) {
                tracing::warn!(%error, "reply failed");
            }
            return;
        }
    };
    let in_progress = gauge.enter();
    tokio::time::sleep(nap).await;
    gauge.leave();
    let page = format!(
        "{path}: napped {} ms; {in_progress} request(s) in progress when it started, peak {}\n",
        nap.as_millis(),
        gauge.peak()
    );
    let plain = [("Content-Type", "text/plain; charset=utf-8")];
    if let Err(error) = job.reply_http(page.as_bytes(), 200, "OK", &plain) {
        tracing::warn!(%error, "reply failed");
    }
    if let Err(error) = job.done() {
        tracing::warn!(%error, "DONE not sent");
    }
}
