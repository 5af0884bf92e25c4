//! `bench-worker ENDPOINT SERVICE [CAPACITY] [THREADS]`: a native Scale0 worker on
//! `scale0_broker::worker` that answers every request with the same 13-byte body and
//! `Content-Type` as `bench-handler`, so the broker scenarios differ from the handler
//! scenarios only in the path between gateway and backend. Runs until killed.
//!
//! CAPACITY (default 64) is what the worker announces in READY: at least the benchmark's
//! connection count, so the broker never holds a request back waiting for a slot. THREADS
//! (default 0) picks the serving mode: 0 serves inline (`Worker::connect_inline`: the main
//! thread owns the socket and answers each job where it arrives, no thread hop), N >= 1 starts
//! the library's I/O thread and N threads taking jobs from its queue. Answering takes
//! microseconds, so inline is the cheapest; threads only add wake-ups on a small machine.

use std::thread;

use mongrel2_compat::handler::should_close;
use scale0_bench_backends::{number, positional, BODY};
use scale0_broker::worker::{Error, Job, Settings, Worker};

const USAGE: &str = "bench-worker ENDPOINT SERVICE [CAPACITY] [THREADS]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let [endpoint, service, capacity, threads] =
        positional::<4>(std::env::args(), 2, &["64", "0"], USAGE)?;
    let capacity: u32 = number("CAPACITY", &capacity, USAGE)?;
    let threads: usize = number("THREADS", &threads, USAGE)?;
    if threads == 0 {
        let (_worker, inline) =
            Worker::connect_inline(&endpoint, &[&service], capacity, Settings::default())?;
        inline.serve(answer)?;
        return Ok(());
    }
    let worker = Worker::connect(&endpoint, &[&service], capacity, Settings::default())?;
    let helpers: Vec<_> = (1..threads)
        .map(|_| {
            let worker = worker.clone();
            thread::spawn(move || serve(&worker))
        })
        .collect();
    serve(&worker)?;
    for helper in helpers {
        helper.join().map_err(|_| "a serving thread panicked")??;
    }
    Ok(())
}

/// Answers jobs until the worker stops.
fn serve(worker: &Worker) -> Result<(), Error> {
    while let Some(job) = worker.recv() {
        answer(job)?;
    }
    Ok(())
}

/// One job: the fixed response (then a close if the client asked for one) and DONE, the last reply
/// carrying the DONE (one REPLY-DONE message). A cancel notice needs nothing: the request's own job
/// still arrives and finishes.
fn answer(job: Job) -> Result<(), Error> {
    if job.is_cancel() {
        return Ok(());
    }
    // A payload that does not parse still gets the response; only the close decision needs it.
    let close = job.request().is_ok_and(|request| should_close(&request));
    let headers = [("Content-Type", "text/plain")];
    if close {
        job.reply_http(BODY, 200, "OK", &headers)?;
        return job.reply_and_done(b"");
    }
    job.reply_http_and_done(BODY, 200, "OK", &headers)
}
