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
