//! SIGTERM and SIGINT for the example workers: the first starts a graceful shutdown, a second exits at
//! once (for an operator who does not want to wait out the grace period).

use tokio::signal::unix::{signal, SignalKind};

/// Waits for SIGTERM or SIGINT. Cancel-safe: dropping the future loses no signal that a later call
/// would have seen (tokio's handlers stay installed).
pub async fn wait() -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => Ok(()),
        _ = int.recv() => Ok(()),
    }
}

/// [`wait`] for a program without a tokio runtime.
pub fn wait_blocking() -> std::io::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?
        .block_on(wait())
}

/// Exits the process with status 130 on the next SIGTERM or SIGINT: the "second signal" of a shutdown.
/// The watching thread lives as long as the process; it holds nothing that needs cleaning up.
pub fn exit_on_second_signal() {
    std::thread::spawn(|| match wait_blocking() {
        Ok(()) => {
            eprintln!("second signal: exiting without waiting for in-flight requests");
            std::process::exit(130);
        }
        Err(error) => tracing::warn!(%error, "cannot watch for a second signal"),
    });
}
