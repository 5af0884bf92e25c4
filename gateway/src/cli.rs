//! The command line of `scale0` (clap derive): subcommands and their flags.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Scale0: an HTTP-to-ZeroMQ gateway and service broker, wire-compatible with Mongrel2.
#[derive(Parser, Debug)]
#[command(name = "scale0", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log filter (tracing EnvFilter syntax); RUST_LOG overrides it.
    #[arg(long, global = true, default_value = "info")]
    pub log: String,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a gateway on a default config plus a built-in example handler.
    Up {
        /// HTTP port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 6767)]
        port: u16,
    },
    /// Run a gateway with a config file.
    Gateway {
        /// The TOML config file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Validate a config file and exit (0 = valid).
    Check {
        /// The TOML config file.
        config: PathBuf,
    },
    /// Convert a Mongrel2 config (m2sh file or the SQLite database `m2sh load` made) into a
    /// Scale0 TOML config; what cannot be converted is listed on stderr.
    ImportMongrel2 {
        /// The m2sh config file or config.sqlite.
        file: PathBuf,
        /// Write the TOML here instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// The server to convert (name or uuid) when several are defined; default: the first.
        #[arg(long)]
        server: Option<String>,
    },
    /// Run a standalone broker that workers and gateways connect to.
    Broker(BrokerArgs),
    /// Ask a broker's control socket (status, drain, kick, reconnect).
    Ctl {
        /// The broker's control endpoint.
        #[arg(long, default_value = "tcp://127.0.0.1:5557")]
        endpoint: String,
        #[command(subcommand)]
        command: CtlCommand,
    },
}

/// `scale0 broker` settings.
#[derive(clap::Args, Debug)]
pub struct BrokerArgs {
    /// Where workers connect (the broker binds a ROUTER).
    #[arg(long, default_value = "tcp://127.0.0.1:5555")]
    pub workers: String,
    /// Where gateways connect (the broker binds a ROUTER).
    #[arg(long, default_value = "tcp://127.0.0.1:5556")]
    pub gateways: String,
    /// Where `scale0 ctl` connects (the broker binds a REP); "none" disables it.
    #[arg(long, default_value = "tcp://127.0.0.1:5557")]
    pub control: String,
    /// Heartbeat interval in milliseconds (workers and gateways adopt it).
    #[arg(long, default_value_t = 1000)]
    pub heartbeat_ms: u64,
    /// Heartbeat intervals of silence after which a peer is dead.
    #[arg(long, default_value_t = 3)]
    pub liveness: u32,
    /// Requests that may wait per service while no worker slot is free.
    #[arg(long, default_value_t = 1000)]
    pub max_queue: usize,
    /// What carries the worker and gateway sockets: native (Scale0's own ZMTP on tcp:// and ipc://) or
    /// libzmq.
    #[arg(long, default_value = "native")]
    pub transport: scale0_broker::runtime::Transport,
    /// A service backed by Mongrel2-style handlers: SERVICE=SEND_SPEC,RECV_SPEC,MAX_OUTSTANDING
    /// (the broker binds PUSH at SEND_SPEC and SUB at RECV_SPEC). Repeatable.
    #[arg(long = "handler", value_parser = parse_handler)]
    pub handlers: Vec<HandlerArg>,
}

/// One `--handler` flag.
#[derive(Debug, Clone)]
pub struct HandlerArg {
    /// The service.
    pub service: String,
    /// Where the broker binds PUSH.
    pub send_spec: String,
    /// Where the broker binds SUB.
    pub recv_spec: String,
    /// Requests outstanding to the handlers at most.
    pub max_outstanding: u32,
}

fn parse_handler(text: &str) -> Result<HandlerArg, String> {
    let usage = || format!("expected SERVICE=SEND_SPEC,RECV_SPEC,MAX_OUTSTANDING, got {text:?}");
    let (service, rest) = text.split_once('=').ok_or_else(usage)?;
    let mut parts = rest.split(',');
    let (Some(send_spec), Some(recv_spec), Some(max), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(usage());
    };
    let max_outstanding = max.parse().map_err(|_| usage())?;
    Ok(HandlerArg {
        service: service.to_owned(),
        send_spec: send_spec.to_owned(),
        recv_spec: recv_spec.to_owned(),
        max_outstanding,
    })
}

/// What to ask the broker.
#[derive(Subcommand, Debug)]
pub enum CtlCommand {
    /// Services (ready slots, queue depth, oldest wait) and workers.
    Status {
        /// Print the raw JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Stop giving a worker new requests; what it holds finishes.
    Drain {
        /// Worker identity (text, or 0x-prefixed hex).
        worker: String,
    },
    /// Disconnect a worker now.
    Kick {
        /// Worker identity (text, or 0x-prefixed hex).
        worker: String,
    },
    /// Move a worker to another broker once it has finished what it holds.
    Reconnect {
        /// Worker identity (text, or 0x-prefixed hex).
        worker: String,
        /// The other broker's worker endpoint.
        endpoint: String,
    },
}
