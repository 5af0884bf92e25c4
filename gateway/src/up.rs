//! Running the gateway as a process: `scale0 gateway --config FILE` and
//! `scale0 up` (a default config plus the built-in example handler).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use scale0_broker::worker::{Settings as WorkerSettings, Worker};
use scale0_workers_examples::hello_worker;

use crate::config::{Config, UpEndpoints};
use crate::server::Gateway;

/// Requests the built-in example worker serves at once (one thread each).
const EXAMPLE_WORKER_CAPACITY: u32 = 4;
/// How long the example worker may finish requests at shutdown.
const WORKER_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs a gateway for `config` until SIGINT/SIGTERM (a second signal exits at once).
pub fn run_gateway(config: Config) -> anyhow::Result<()> {
    runtime(&config)?.block_on(async move {
        let shutdown = CancellationToken::new();
        let gateway = Gateway::bind(&config, shutdown.clone()).await?;
        for addr in gateway.local_addrs() {
            tracing::info!("listening on http://{addr}/");
        }
        tokio::spawn(on_signals(shutdown.clone()));
        gateway.serve(shutdown).await;
        Ok(())
    })
}

/// `scale0 up`: a gateway on 127.0.0.1:`port` (0 = any free port) with an
/// embedded broker, the example worker serving `/` and `/echo`, and the
/// example Mongrel2-style handler under `/handler/`, over ipc sockets in a
/// temp dir.
pub fn run_up(port: u16) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new().prefix("scale0-up-").tempdir()?;
    let at = |name: &str| format!("ipc://{}/{name}", dir.path().display());
    let (workers, control) = (at("workers"), at("control"));
    let (send_spec, recv_spec) = (at("send"), at("recv"));
    let endpoints = UpEndpoints {
        workers: &workers,
        control: &control,
        send_spec: &send_spec,
        recv_spec: &recv_spec,
    };
    let text = Config::default_up(port, &endpoints);
    let config = Config::from_toml_str(&text)?;
    runtime(&config)?.block_on(async move {
        let shutdown = CancellationToken::new();
        let gateway = Gateway::bind(&config, shutdown.clone()).await?;
        println!("scale0 up: running with this config\n\n{text}");
        println!("scale0 up: broker status: scale0 ctl --endpoint {control} status");
        for addr in gateway.local_addrs() {
            println!("scale0 up: listening on http://{addr}/  (try: curl http://{addr}/hello)");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let handler = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("example-handler".into())
                .spawn(move || -> anyhow::Result<u64> {
                    let conn = mongrel2_compat::handler::Connection::connect(
                        None, &send_spec, &recv_spec,
                    )?;
                    Ok(scale0_workers_examples::hello::serve(&conn, &stop)?)
                })?
        };
        let worker = Worker::connect(
            &workers,
            &hello_worker::SERVICES,
            EXAMPLE_WORKER_CAPACITY,
            WorkerSettings::default(),
        )?;
        let worker_threads: Vec<_> = (0..EXAMPLE_WORKER_CAPACITY)
            .map(|_| {
                let worker = worker.clone();
                std::thread::spawn(move || hello_worker::serve(&worker))
            })
            .collect();
        tokio::spawn(on_signals(shutdown.clone()));
        gateway.serve(shutdown).await;
        stop.store(true, Ordering::Relaxed);
        if let Err(e) = worker.shutdown(WORKER_GRACE) {
            tracing::warn!("example worker shutdown: {e}");
        }
        let answered: u64 = worker_threads
            .into_iter()
            .filter_map(|t| t.join().ok())
            .sum();
        tracing::info!("example worker answered {answered} requests");
        match handler.join() {
            Ok(Ok(n)) => tracing::info!("example handler answered {n} requests"),
            Ok(Err(e)) => tracing::warn!("example handler failed: {e:#}"),
            Err(_) => tracing::warn!("example handler panicked"),
        }
        drop(dir);
        Ok(())
    })
}

/// The gateway's runtime. One worker thread means tokio's current-thread
/// scheduler on the calling thread: the same single thread of work, without
/// the multi-thread scheduler's cross-thread wake-ups and atomics (cheaper per
/// request; docs/benchmarks.md).
fn runtime(config: &Config) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = match config.gateway.worker_threads {
        1 => tokio::runtime::Builder::new_current_thread(),
        0 => tokio::runtime::Builder::new_multi_thread(),
        n => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(n);
            builder
        }
    };
    builder.enable_all().build()
}

/// First SIGINT/SIGTERM: drain (cancel `shutdown`). Second: exit at once.
async fn on_signals(shutdown: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot install signal handlers");
        return;
    };
    tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
    tracing::info!("shutting down: draining connections (signal again to exit now)");
    shutdown.cancel();
    tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
    std::process::exit(130);
}
