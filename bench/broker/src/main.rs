//! `bench-broker`: how many requests per second Scale0's broker switches on its own. An embedded
//! gateway link keeps a window of requests in flight (no HTTP, no translation); fake workers on their
//! own threads (plain blocking libzmq DEALERs speaking S0W/2, or S0W/1 with `--protocol 1`, through the broker's codec) answer each
//! REQUEST with one REPLY-DONE (or, with `--separate-done`, a REPLY and a DONE). Every request crosses
//! the broker twice (SUBMIT → REQUEST, REPLY → link), so the figure is the broker's dispatch rate with real ZeroMQ on the worker side.
//!
//! Prints requests/s and the submit-to-reply latency (p50, p99) over the measured period.

mod baseline;
mod cpu;
mod driver;
mod worker;

use std::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use scale0_broker::protocol::Version;
use scale0_broker::runtime::{Broker, Settings};
use tokio_util::sync::CancellationToken;

/// How long the broker may take at the end to finish the window still in flight.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// Command-line options.
#[derive(Parser, Debug)]
#[command(about = "Broker switching rate with an embedded link and in-process fake workers")]
struct Args {
    /// Fake worker threads.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Capacity (concurrent requests) each worker announces.
    #[arg(long, default_value_t = 512)]
    capacity: u32,
    /// Requests kept in flight by the gateway side.
    #[arg(long, default_value_t = 1024)]
    window: usize,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Seconds of warm-up, not measured.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Measure the plain libzmq loop (the ceiling) instead of the broker.
    #[arg(long)]
    baseline: bool,
    /// Workers answer with REPLY then DONE (two messages, as S0W/1.0 workers do) instead of one
    /// REPLY-DONE.
    #[arg(long)]
    separate_done: bool,
    /// Worker-protocol version the fake workers (and the baseline loop) speak: 2 (packed heads, what
    /// the worker library speaks) or 1.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
    protocol: u8,
}

impl Args {
    fn version(&self) -> Version {
        if self.protocol == 1 {
            Version::V1
        } else {
            Version::V2
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("scale0-bench-broker-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let endpoint = format!("ipc://{}/workers", dir.display());
    let result = run(&args, &endpoint);
    if let Err(error) = std::fs::remove_dir_all(&dir) {
        eprintln!("could not remove {}: {error}", dir.display());
    }
    let report = result?;
    let what = if args.baseline {
        "plain libzmq loop"
    } else {
        "broker switching"
    };
    println!(
        "{what}: {:.0} requests/s ({} requests in {:.2} s; {} workers x capacity {}, window {}, {}); \
         S0W/{}; latency p50 {} us, p99 {} us; failures {}",
        report.rate(),
        report.replies,
        report.elapsed.as_secs_f64(),
        args.workers,
        args.capacity,
        args.window,
        if args.separate_done {
            "REPLY then DONE"
        } else {
            "REPLY-DONE"
        },
        args.protocol,
        report.p50_micros,
        report.p99_micros,
        report.failures,
    );
    if let Some((per_cpu, busy)) = report.per_cpu_second() {
        println!(
            "  its thread was {:.0}% busy: {per_cpu:.0} requests per CPU-second",
            busy * 100.0
        );
    }
    Ok(())
}

fn run(args: &Args, endpoint: &str) -> Result<driver::Report, Box<dyn Error>> {
    let periods = driver::Periods {
        warmup: Duration::from_secs(args.warmup),
        measured: Duration::from_secs(args.seconds),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let spawn_workers = || -> std::io::Result<Vec<_>> {
        (0..args.workers)
            .map(|n| {
                let identity = format!("bench-worker-{n}");
                let answer = if args.separate_done {
                    worker::Answer::ReplyThenDone
                } else {
                    worker::Answer::ReplyDone
                };
                worker::spawn(
                    endpoint.to_owned(),
                    identity,
                    args.capacity,
                    answer,
                    args.version(),
                    stop.clone(),
                )
            })
            .collect()
    };
    let report = if args.baseline {
        let workers = spawn_workers()?;
        let report = baseline::run(endpoint, args.window, args.version(), &periods)?;
        stop.store(true, Ordering::Relaxed);
        join(workers)?;
        report
    } else {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let mut settings = Settings::new(endpoint);
            settings.engine.max_queue = args.window;
            settings.drain_grace = DRAIN_GRACE;
            let mut broker = Broker::bind(settings).await?;
            let link = broker.embedded_link("bench", args.window * 2);
            let shutdown = CancellationToken::new();
            let running = tokio::spawn(broker.run(shutdown.clone()));
            let workers = spawn_workers()?;
            let report = driver::drive(link, args.window, periods).await?;
            shutdown.cancel();
            running.await??;
            stop.store(true, Ordering::Relaxed);
            join(workers)?;
            Ok::<_, Box<dyn Error>>(report)
        })?
    };
    Ok(report)
}

fn join(workers: Vec<worker::Handle>) -> Result<(), Box<dyn Error>> {
    for worker in workers {
        worker.join().map_err(|_| "a worker thread panicked")??;
    }
    Ok(())
}
