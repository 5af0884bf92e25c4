//! `scale0 broker`: the broker as a process of its own, with its own tokio runtime and signal handling.
//!
//! The loop is one task, so the runtime is current-thread (a second thread would only add wake-ups).
//! The first SIGINT or SIGTERM starts the drain ([`Settings::drain_grace`]); a second one stops at once
//! (sockets close with their short linger).

use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

use super::{Broker, Error, Settings};

/// Binds the broker and runs it until a signal (see the module docs). Errors name the socket and
/// endpoint at fault; `anyhow` wraps this error with `?`.
pub fn run_standalone(settings: Settings) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(async {
        let broker = Broker::bind(settings).await?;
        let mut interrupt = signal(SignalKind::interrupt()).map_err(Error::Runtime)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(Error::Runtime)?;
        let shutdown = CancellationToken::new();
        let run = broker.run(shutdown.clone());
        tokio::pin!(run);
        let mut signals = 0;
        loop {
            tokio::select! {
                result = &mut run => return result,
                _ = interrupt.recv() => signals += 1,
                _ = terminate.recv() => signals += 1,
            }
            if signals >= 2 {
                tracing::warn!("second signal: broker stops without waiting for the drain");
                return Ok(());
            }
            tracing::info!("signal received: broker draining (a second signal stops it at once)");
            shutdown.cancel();
        }
    })
}
