//! `ws-echo-worker`: a native Scale0 worker that echoes WebSocket messages, serving service `ws`.
//!
//! ```text
//! ws-echo-worker --broker tcp://127.0.0.1:5560 [--service ws] [--capacity 1]
//! ```
//!
//! Behind a `service` target each Mongrel2 WebSocket message is one job: the handshake
//! (`WEBSOCKET_HANDSHAKE`, body = the accept key) is answered with the `101` response, a text or
//! binary message with the same payload prefixed by `echo: ` (text) or as is (binary), a ping
//! with a pong, a close with a close frame and the empty (close) reply. Every job ends with DONE
//! ([`Job::done`]), so the slot takes the connection's next message. Plain HTTP requests get a
//! short page saying to connect with a WebSocket client.

use std::time::Duration;

use clap::Parser;
use mongrel2_compat::request::key;
use mongrel2_compat::websocket::{parse_flags, Opcode};
use scale0_broker::worker::{Job, Settings, Worker};
use scale0_workers_examples::signals;

/// Echo WebSocket messages behind a Scale0 broker.
#[derive(Parser, Debug)]
struct Args {
    /// The broker's worker endpoint.
    #[arg(long, default_value = "tcp://127.0.0.1:5560")]
    broker: String,
    /// The service to serve.
    #[arg(long, default_value = "ws")]
    service: String,
    /// Messages served at once (one thread each).
    #[arg(long, default_value_t = 1)]
    capacity: u32,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let services = [args.service.as_str()];
    let worker = Worker::connect(&args.broker, &services, args.capacity, Settings::default())?;
    eprintln!("ws-echo-worker: serving {services:?} from {}", args.broker);
    let threads: Vec<_> = (0..args.capacity)
        .map(|_| {
            let worker = worker.clone();
            std::thread::spawn(move || serve(&worker))
        })
        .collect();
    signals::wait_blocking()?;
    signals::exit_on_second_signal();
    let drained = worker.shutdown(Duration::from_secs(10));
    for thread in threads {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("a serving thread panicked"))??;
    }
    Ok(drained?)
}

/// Serves jobs until the worker stops.
fn serve(worker: &Worker) -> anyhow::Result<()> {
    while let Some(job) = worker.recv() {
        if job.is_cancel() {
            continue;
        }
        if let Err(e) = answer(&job) {
            eprintln!("ws-echo-worker: job {:?}: {e}", job.id());
        }
        job.done()?;
    }
    Ok(())
}

/// Answers one message as described in the module docs.
fn answer(job: &Job) -> anyhow::Result<()> {
    let request = job.request()?;
    match request.method() {
        Some(key::METHOD_WEBSOCKET_HANDSHAKE) => {
            let accept = String::from_utf8_lossy(request.body);
            let head = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            job.reply(head.as_bytes())?;
        }
        Some(key::METHOD_WEBSOCKET) => {
            let flags = request
                .headers
                .get(key::FLAGS)
                .map(|v| v.first())
                .unwrap_or_default();
            match parse_flags(flags)?.1 {
                Opcode::Text => {
                    job.reply_websocket(Opcode::Text, &[b"echo: ", request.body].concat())?
                }
                Opcode::Binary => job.reply_websocket(Opcode::Binary, request.body)?,
                Opcode::Ping => job.reply_websocket(Opcode::Pong, request.body)?,
                Opcode::Close => {
                    job.reply_websocket(Opcode::Close, request.body.get(..2).unwrap_or_default())?;
                    job.close()?;
                }
                Opcode::Pong | Opcode::Continuation => {}
            }
        }
        _ => job.reply_http(
            b"connect with a WebSocket client\n",
            200,
            "OK",
            &[("Content-Type", "text/plain")],
        )?,
    }
    Ok(())
}
