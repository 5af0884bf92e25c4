//! `scale0`: the command-line entry point. Parses arguments, loads and validates
//! the config, sets up logging, runs the chosen job and maps errors to exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Scale0: an HTTP-to-ZeroMQ gateway and service broker, wire-compatible with Mongrel2.
#[derive(Parser, Debug)]
#[command(name = "scale0", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log filter (tracing EnvFilter syntax); RUST_LOG overrides it.
    #[arg(long, global = true, default_value = "info")]
    log: String,
}

#[derive(Subcommand, Debug)]
enum Command {
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
struct BrokerArgs {
    /// Where workers connect (the broker binds a ROUTER).
    #[arg(long, default_value = "tcp://127.0.0.1:5555")]
    workers: String,
    /// Where gateways connect (the broker binds a ROUTER).
    #[arg(long, default_value = "tcp://127.0.0.1:5556")]
    gateways: String,
    /// Where `scale0 ctl` connects (the broker binds a REP); "none" disables it.
    #[arg(long, default_value = "tcp://127.0.0.1:5557")]
    control: String,
    /// Heartbeat interval in milliseconds (workers and gateways adopt it).
    #[arg(long, default_value_t = 1000)]
    heartbeat_ms: u64,
    /// Heartbeat intervals of silence after which a peer is dead.
    #[arg(long, default_value_t = 3)]
    liveness: u32,
    /// Requests that may wait per service while no worker slot is free.
    #[arg(long, default_value_t = 1000)]
    max_queue: usize,
}

/// What to ask the broker.
#[derive(Subcommand, Debug)]
enum CtlCommand {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log);
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale0: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Check { config } => {
            let loaded = scale0_gateway::config::Config::load(&config)?;
            let routes: usize = loaded.hosts.iter().map(|h| h.routes.len()).sum();
            println!(
                "{}: ok ({} listeners, {} hosts, {} routes, {} targets)",
                config.display(),
                loaded.listeners.len(),
                loaded.hosts.len(),
                routes,
                loaded.targets.len()
            );
            Ok(())
        }
        Command::Gateway { config } => {
            let loaded = scale0_gateway::config::Config::load(&config)?;
            scale0_gateway::up::run_gateway(loaded)
        }
        Command::Up { port } => scale0_gateway::up::run_up(port),
        Command::Broker(args) => {
            let engine = scale0_broker::engine::Config {
                heartbeat_interval: std::time::Duration::from_millis(args.heartbeat_ms.max(1)),
                liveness: args.liveness.max(1),
                max_queue: args.max_queue,
                ..Default::default()
            };
            let settings = scale0_broker::runtime::Settings {
                workers: args.workers,
                gateways: Some(args.gateways),
                control: (args.control != "none").then_some(args.control),
                engine,
                drain_grace: scale0_broker::runtime::DEFAULT_DRAIN_GRACE,
            };
            Ok(scale0_broker::runtime::run_standalone(settings)?)
        }
        Command::Ctl { endpoint, command } => {
            use scale0_broker::control::{self, Command as Ask};
            let (ask, json) = match command {
                CtlCommand::Status { json } => (Ask::Status, json),
                CtlCommand::Drain { worker } => (Ask::Drain { worker }, true),
                CtlCommand::Kick { worker } => (Ask::Kick { worker }, true),
                CtlCommand::Reconnect { worker, endpoint } => {
                    (Ask::Reconnect { worker, endpoint }, true)
                }
            };
            let answer = control::query(&endpoint, &ask)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&answer)?);
            } else {
                print!("{}", control::render_status(&answer));
            }
            Ok(())
        }
    }
}

fn init_tracing(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
