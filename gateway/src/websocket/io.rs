//! Socket helpers shared by the WebSocket and JSON/XML socket sessions.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot::error::RecvError;

use crate::target::Ticket;

/// Writes handler bytes to the client, giving up after `timeout` (a client that stopped reading
/// must not hold the session, and its handler's messages, forever).
pub(crate) async fn write_within<IO: AsyncWrite + Unpin>(
    io: &mut IO,
    bytes: &[u8],
    timeout: Duration,
) -> std::io::Result<()> {
    let write = async {
        io.write_all(bytes).await?;
        io.flush().await
    };
    tokio::time::timeout(timeout, write)
        .await
        .map_err(|_| std::io::ErrorKind::TimedOut)?
}

/// Resolves with the oldest pending submission's outcome; never resolves when none is pending.
/// Cancel-safe: the ticket stays queued until the caller pops it.
pub(crate) async fn front(pending: &mut VecDeque<Ticket>) -> Result<(), RecvError> {
    match pending.front_mut() {
        Some(ticket) => ticket.await,
        None => std::future::pending().await,
    }
}
