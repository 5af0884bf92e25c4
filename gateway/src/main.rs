//! `scale0`: the command-line entry point. Parses arguments ([`cli`]), sets up
//! logging, runs the chosen job and maps errors to an exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, CtlCommand};

/// mimalloc instead of glibc's malloc: the request path allocates and frees
/// many small buffers per request, and glibc's fastbin consolidation showed
/// as ~10 % of the gateway thread's time (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::ImportMongrel2 {
            file,
            output,
            server,
        } => import_mongrel2(&file, output.as_deref(), server),
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
                transport: args.transport,
                handlers: args
                    .handlers
                    .into_iter()
                    .map(|h| {
                        scale0_broker::runtime::HandlerService::new(
                            h.service,
                            h.send_spec,
                            h.recv_spec,
                            h.max_outstanding,
                        )
                    })
                    .collect(),
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

/// `scale0 import-mongrel2`: TOML to stdout or `output`, one stderr line per part not converted;
/// an error when the input is unreadable or the result fails `scale0 check` (written anyway).
fn import_mongrel2(
    file: &std::path::Path,
    output: Option<&std::path::Path>,
    server: Option<String>,
) -> anyhow::Result<()> {
    use scale0_gateway::import;
    let imported = import::import_file(file, &import::Options { server })?;
    for warning in &imported.warnings {
        eprintln!("scale0 import-mongrel2: {warning}");
    }
    match output {
        Some(path) => std::fs::write(path, &imported.toml)?,
        None => print!("{}", imported.toml),
    }
    imported
        .check
        .map_err(|e| anyhow::anyhow!("the converted config does not pass `scale0 check`: {e}"))
}

fn init_tracing(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
