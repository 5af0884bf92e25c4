//! The hello example as a native Scale0 worker: services `hello` (a page describing the request, the
//! same as [`crate::hello::describe`]) and `echo` (the request body back).
//!
//! A REQUEST does not name the service it was submitted for, only the Mongrel2 request, so the job is
//! told apart by its path, as a Mongrel2 handler would: a path whose first or last segment is `echo` is
//! echoed (route `/echo` to service `echo` in the gateway's config), anything else gets the page.
//!
//! [`Options`] let an operator (or a load test) watch the broker at work: a worker with a name says so
//! in every response ([`WORKER_HEADER`]), showing how requests were spread, and a work time holds each
//! request for a while, so requests in flight show in `scale0 ctl status` and survive worker deaths.

use std::time::Duration;

use scale0_broker::worker::{self, Job, Worker};

use crate::hello::describe;

/// The services this worker announces.
pub const SERVICES: [&str; 2] = ["hello", "echo"];

/// The response header naming the worker that answered ([`Options::name`]), so a client can see which
/// worker the broker chose.
pub const WORKER_HEADER: &str = "X-Worker";

/// Longest [`Options::work`]: an example worker should not be told to hold a slot for minutes.
pub const MAX_WORK: Duration = Duration::from_secs(10);

/// How the worker answers beyond the page itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Sent as [`WORKER_HEADER`] in every response; none when `None`. A header value: visible ASCII.
    pub name: Option<String>,
    /// How long each request pretends to work before its reply (a stand-in for a database call; at most
    /// [`MAX_WORK`]). The serving thread blocks meanwhile, holding its slot as real work would.
    pub work: Duration,
}

/// Serves jobs from `worker` until it stops, with default [`Options`]. Returns how many requests were
/// answered.
pub fn serve(worker: &Worker) -> u64 {
    serve_with(worker, &Options::default())
}

/// Serves jobs from `worker` until it stops, answering as `options` say. Returns how many requests were
/// answered.
pub fn serve_with(worker: &Worker, options: &Options) -> u64 {
    let mut answered = 0;
    while let Some(job) = worker.recv() {
        if job.is_cancel() {
            tracing::debug!(request = ?job.id(), "client went away");
            continue;
        }
        match answer(&job, options) {
            Ok(()) => answered += 1,
            Err(error) => tracing::warn!(%error, request = ?job.id(), "reply failed"),
        }
        if let Err(error) = job.done() {
            tracing::warn!(%error, "DONE not sent");
        }
    }
    answered
}

/// Answers one job after its work time: echo or the hello page (naming the worker when it has a name),
/// then a close when the client asked for one.
pub fn answer(job: &Job, options: &Options) -> Result<(), worker::Error> {
    let request = match job.request() {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(%error, "malformed request message");
            let plain = [("Content-Type", "text/plain")];
            return job.reply_http(b"malformed request message\n", 502, "Bad Gateway", &plain);
        }
    };
    std::thread::sleep(options.work.min(MAX_WORK));
    let mut headers = vec![("Content-Type", "text/plain; charset=utf-8")];
    if let Some(name) = &options.name {
        headers.push((WORKER_HEADER, name.as_str()));
    }
    if is_echo(request.path) {
        job.reply_http(request.body, 200, "OK", &headers)?;
    } else {
        job.reply_http(describe(&request).as_bytes(), 200, "OK", &headers)?;
    }
    if mongrel2_compat::handler::should_close(&request) {
        job.close()?;
    }
    Ok(())
}

/// Whether the first or last path segment is `echo`.
fn is_echo(path: &[u8]) -> bool {
    let mut segments = path.split(|&b| b == b'/').filter(|s| !s.is_empty());
    let first = segments.next();
    let last = segments.next_back().or(first);
    first == Some(b"echo") || last == Some(b"echo")
}

#[cfg(test)]
mod tests {
    use super::is_echo;

    #[test]
    fn echo_is_chosen_by_the_first_or_last_segment() {
        assert!(is_echo(b"/echo"));
        assert!(is_echo(b"/echo/anything"));
        assert!(is_echo(b"/api/echo"));
        assert!(!is_echo(b"/hello"));
        assert!(!is_echo(b"/api/echoes/x"));
        assert!(!is_echo(b"/"));
    }
}
