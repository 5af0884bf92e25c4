//! `hello-worker`: the hello example as a native Scale0 worker, serving services `hello` and `echo`.
//!
//! ```text
//! hello-worker --broker tcp://127.0.0.1:5560 [--capacity 1] [--identity NAME] [--work-ms 0] [--grace-secs 10]
//! ```
//!
//! One thread per slot serves jobs. A worker with `--identity` names itself in every response
//! (`X-Worker: NAME`); `--work-ms` makes each request take that long, to watch dispatch under load. SIGTERM (or SIGINT) drains: DRAIN, finish what is held, DISCONNECT;
//! a second signal exits at once.

use std::time::Duration;

use clap::Parser;
use scale0_broker::worker::{Settings, Worker};
use scale0_workers_examples::{hello_worker, signals};

/// Serve the `hello` and `echo` services behind a Scale0 broker.
#[derive(Parser, Debug)]
struct Args {
    /// The broker's worker endpoint.
    #[arg(long, default_value = "tcp://127.0.0.1:5560")]
    broker: String,
    /// Requests served at once (one thread each).
    #[arg(long, default_value_t = 1)]
    capacity: u32,
    /// Routing identity, so a restarted worker replaces its old registration at once; also sent as the
    /// `X-Worker` response header (visible ASCII only).
    #[arg(long, value_parser = parse_identity)]
    identity: Option<String>,
    /// How long each request pretends to work, in milliseconds (at most 10 000).
    #[arg(long, default_value_t = 0)]
    work_ms: u64,
    /// How long a shutdown waits for requests in progress.
    #[arg(long, default_value_t = 10)]
    grace_secs: u64,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let settings = Settings {
        identity: args.identity.clone().map(String::into_bytes),
        ..Settings::default()
    };
    let options = hello_worker::Options {
        name: args.identity,
        work: Duration::from_millis(args.work_ms).min(hello_worker::MAX_WORK),
    };
    let services = hello_worker::SERVICES;
    let worker = Worker::connect(&args.broker, &services, args.capacity, settings)?;
    eprintln!(
        "hello-worker: serving {services:?} from {} with capacity {}",
        args.broker, args.capacity
    );
    let threads: Vec<_> = (0..args.capacity)
        .map(|_| {
            let (worker, options) = (worker.clone(), options.clone());
            std::thread::spawn(move || hello_worker::serve_with(&worker, &options))
        })
        .collect();
    signals::wait_blocking()?;
    eprintln!("hello-worker: draining");
    signals::exit_on_second_signal();
    let drained = worker.shutdown(Duration::from_secs(args.grace_secs));
    let mut answered = 0;
    for thread in threads {
        answered += thread
            .join()
            .map_err(|_| anyhow::anyhow!("a serving thread panicked"))?;
    }
    eprintln!("hello-worker: answered {answered} requests");
    Ok(drained?)
}

/// An identity usable both as a routing identity and as a header value: 1-255 visible ASCII characters.
fn parse_identity(text: &str) -> Result<String, String> {
    let visible = text.bytes().all(|b| b.is_ascii_graphic());
    if (1..=255).contains(&text.len()) && visible {
        Ok(text.to_owned())
    } else {
        Err("expected 1-255 visible ASCII characters (no spaces)".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_identity;

    #[test]
    fn identities_are_visible_ascii_of_1_to_255_bytes() {
        assert_eq!(parse_identity("w-1"), Ok("w-1".to_owned()));
        assert!(parse_identity("").is_err());
        assert!(parse_identity("two words").is_err());
        assert!(parse_identity("bad\r\nx-injected: 1").is_err());
        assert!(parse_identity(&"w".repeat(256)).is_err());
    }
}
