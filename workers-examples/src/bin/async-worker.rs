//! `async-worker`: a worker with capacity N > 1 whose requests are tokio tasks, so N of them are in
//! progress at once. Each naps `?ms=` milliseconds (a stand-in for awaiting a database) and reports how
//! many requests were in progress when it started:
//!
//! ```text
//! async-worker --broker tcp://127.0.0.1:5560 --service slow --capacity 8
//! for i in 1 2 3 4; do curl -s 'localhost:8080/slow?ms=1000' & done; wait   # ~1 s in total, not 4
//! ```
//!
//! SIGTERM (or SIGINT) drains; a second signal exits at once.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use scale0_broker::worker::{Settings, Worker};
use scale0_workers_examples::concurrent::{self, Gauge};
use scale0_workers_examples::signals;

/// Serve a slow service with many requests in progress at once.
#[derive(Parser, Debug)]
struct Args {
    /// The broker's worker endpoint.
    #[arg(long, default_value = "tcp://127.0.0.1:5560")]
    broker: String,
    /// The service to announce.
    #[arg(long, default_value = "slow")]
    service: String,
    /// Requests in progress at once.
    #[arg(long, default_value_t = 8)]
    capacity: u32,
    /// How long a shutdown waits for requests in progress.
    #[arg(long, default_value_t = 10)]
    grace_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let services = [args.service.as_str()];
    let worker = Worker::connect(&args.broker, &services, args.capacity, Settings::default())?;
    eprintln!(
        "async-worker: serving {services:?} from {} with capacity {}",
        args.broker, args.capacity
    );
    let gauge = Arc::new(Gauge::default());
    let handler_gauge = gauge.clone();
    let serving = tokio::spawn(concurrent::serve(worker.clone(), move |job| {
        concurrent::nap(job, handler_gauge.clone())
    }));
    signals::wait().await?;
    eprintln!("async-worker: draining");
    signals::exit_on_second_signal();
    let grace = Duration::from_secs(args.grace_secs);
    let drained = tokio::task::spawn_blocking(move || worker.shutdown(grace)).await?;
    let handled = serving.await?;
    eprintln!(
        "async-worker: handled {handled} jobs, at most {} at once",
        gauge.peak()
    );
    Ok(drained?)
}
