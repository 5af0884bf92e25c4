//! A passed-through protocol switch (WebSocket): once the upstream answered
//! 101 and both sides are upgraded, bytes are copied both ways unchanged
//! until either side closes, neither sends for the route's `idle_timeout`,
//! or the gateway shuts down. The proxy does not parse WebSocket frames.

use std::time::Duration;

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Bytes read per direction at a time.
pub const BUFFER_BYTES: usize = 16 * 1024;

/// Waits for both upgrades (at most `idle`), then copies until done.
pub async fn run(
    client: OnUpgrade,
    upstream: OnUpgrade,
    idle: Duration,
    shutdown: CancellationToken,
) {
    let both = async { tokio::try_join!(client, upstream) };
    let (client, upstream) = match tokio::time::timeout(idle, both).await {
        Ok(Ok(both)) => both,
        Ok(Err(e)) => {
            tracing::debug!("tunnel not established: {e}");
            return;
        }
        Err(_) => {
            tracing::debug!("tunnel not established within {idle:?}");
            return;
        }
    };
    let end = splice(TokioIo::new(client), TokioIo::new(upstream), idle, shutdown).await;
    tracing::debug!("tunnel closed: {end:?}");
}

/// Why a tunnel ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The client closed (or failed); the upstream's write side was shut.
    Client,
    /// The upstream closed (or failed); the client's write side was shut.
    Upstream,
    /// Nothing moved for the idle timeout.
    Idle,
    /// The gateway is shutting down.
    Shutdown,
}

/// Copies `a` ⇄ `b` until one side reaches EOF or fails, `idle` passes
/// without a byte either way, or `shutdown`; then shuts both write sides.
pub async fn splice<A, B>(a: A, b: B, idle: Duration, shutdown: CancellationToken) -> End
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let (mut a_read, mut a_write) = tokio::io::split(a);
    let (mut b_read, mut b_write) = tokio::io::split(b);
    let mut from_a = vec![0u8; BUFFER_BYTES];
    let mut from_b = vec![0u8; BUFFER_BYTES];
    let mut deadline = Instant::now() + idle;
    let end = loop {
        tokio::select! {
            _ = shutdown.cancelled() => break End::Shutdown,
            _ = tokio::time::sleep_until(deadline) => break End::Idle,
            read = a_read.read(&mut from_a) => match read {
                Ok(0) | Err(_) => break End::Client,
                Ok(n) => {
                    if b_write.write_all(&from_a[..n]).await.is_err() {
                        break End::Upstream;
                    }
                }
            },
            read = b_read.read(&mut from_b) => match read {
                Ok(0) | Err(_) => break End::Upstream,
                Ok(n) => {
                    if a_write.write_all(&from_b[..n]).await.is_err() {
                        break End::Client;
                    }
                }
            },
        }
        deadline = Instant::now() + idle;
    };
    let _closing_a = a_write.shutdown().await;
    let _closing_b = b_write.shutdown().await;
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    #[tokio::test(start_paused = true)]
    async fn bytes_flow_both_ways_until_the_client_closes() {
        let (mut client, gateway_client) = duplex(64);
        let (gateway_upstream, mut upstream) = duplex(64);
        let tunnel = tokio::spawn(splice(
            gateway_client,
            gateway_upstream,
            Duration::from_secs(10),
            CancellationToken::new(),
        ));
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        upstream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        upstream.write_all(b"pong").await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
        drop(client);
        assert_eq!(tunnel.await.unwrap(), End::Client);
        assert_eq!(
            upstream.read(&mut buf).await.unwrap(),
            0,
            "upstream sees EOF"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_tunnel_is_closed_after_the_idle_timeout() {
        let (_client, gateway_client) = duplex(64);
        let (gateway_upstream, _upstream) = duplex(64);
        let started = Instant::now();
        let end = splice(
            gateway_client,
            gateway_upstream,
            Duration::from_secs(7),
            CancellationToken::new(),
        )
        .await;
        assert_eq!(end, End::Idle);
        assert_eq!(started.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_ends_the_tunnel() {
        let (_client, gateway_client) = duplex(64);
        let (gateway_upstream, _upstream) = duplex(64);
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        let end = splice(
            gateway_client,
            gateway_upstream,
            Duration::from_secs(7),
            shutdown,
        )
        .await;
        assert_eq!(end, End::Shutdown);
    }
}
