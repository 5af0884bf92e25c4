//! Running the gateway as a process: `scale0 gateway --config FILE` and
//! `scale0 up` (a default config plus the built-in example handler).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::server::Gateway;

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

/// `scale0 up`: a gateway on 127.0.0.1:`port` (0 = any free port) routing `/`
/// to the built-in example handler over ipc sockets in a temp dir.
pub fn run_up(port: u16) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new().prefix("scale0-up-").tempdir()?;
    let send_spec = format!("ipc://{}/send", dir.path().display());
    let recv_spec = format!("ipc://{}/recv", dir.path().display());
    let text = Config::default_up(port, &send_spec, &recv_spec);
    let config = Config::from_toml_str(&text)?;
    runtime(&config)?.block_on(async move {
        let shutdown = CancellationToken::new();
        let gateway = Gateway::bind(&config, shutdown.clone()).await?;
        println!("scale0 up: running with this config\n\n{text}");
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
        tokio::spawn(on_signals(shutdown.clone()));
        gateway.serve(shutdown).await;
        stop.store(true, Ordering::Relaxed);
        match handler.join() {
            Ok(Ok(n)) => tracing::info!("example handler answered {n} requests"),
            Ok(Err(e)) => tracing::warn!("example handler failed: {e:#}"),
            Err(_) => tracing::warn!("example handler panicked"),
        }
        drop(dir);
        Ok(())
    })
}

fn runtime(config: &Config) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if config.gateway.worker_threads > 0 {
        builder.worker_threads(config.gateway.worker_threads);
    }
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
