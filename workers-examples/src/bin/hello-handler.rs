//! `hello-handler`: the example Mongrel2 handler, against a Mongrel2 server or a
//! Scale0 gateway (`handler` target).
//!
//! ```text
//! hello-handler --send-spec tcp://127.0.0.1:9997 --recv-spec tcp://127.0.0.1:9996
//! ```

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Parser;
use mongrel2_compat::handler::Connection;

/// Serve HTTP requests from a Mongrel2-compatible server.
#[derive(Parser, Debug)]
struct Args {
    /// The server's send_spec (we connect PULL there).
    #[arg(long, default_value = "tcp://127.0.0.1:9997")]
    send_spec: String,
    /// The server's recv_spec (we connect PUB there).
    #[arg(long, default_value = "tcp://127.0.0.1:9996")]
    recv_spec: String,
    /// Identity of the PUB socket (Python's sender_id).
    #[arg(long)]
    sender_id: Option<String>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let conn = Connection::connect(args.sender_id.as_deref(), &args.send_spec, &args.recv_spec)?;
    eprintln!(
        "hello-handler: requests from {}, replies to {}",
        args.send_spec, args.recv_spec
    );
    let stop = Arc::new(AtomicBool::new(false));
    let answered = scale0_workers_examples::hello::serve(&conn, &stop)?;
    eprintln!("hello-handler: answered {answered} requests");
    Ok(())
}
