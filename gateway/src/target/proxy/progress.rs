//! Where a proxied request stands while its body streams upstream, so the
//! proxy can tell a slow client (the body's own idle timeout: 408) from an
//! upstream that stopped reading the body (504), and start the
//! response-head deadline only once the body is sent (a slow upload of a
//! large body is not a 504).

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// Who the request body is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The client's next bytes (or the upstream connection, bounded by
    /// `connect_timeout`).
    Client,
    /// The upstream connection to take the frame handed to it; the count
    /// changes with every frame, so each one is seen as progress.
    Upstream(u64),
    /// Nobody: the whole body has been handed on.
    Sent,
}

/// The body's side: reports each change of phase.
#[derive(Debug)]
pub struct Reporter(watch::Sender<Phase>);

/// The proxy's side.
pub type Watcher = watch::Receiver<Phase>;

/// A reporter and its watcher, starting in [`Phase::Client`].
pub fn channel() -> (Reporter, Watcher) {
    let (tx, rx) = watch::channel(Phase::Client);
    (Reporter(tx), rx)
}

impl Reporter {
    /// The body is waiting for the client.
    pub fn client(&self) {
        self.0.send_if_modified(|phase| {
            let changed = *phase != Phase::Client;
            *phase = Phase::Client;
            changed
        });
    }

    /// A frame was handed to the upstream connection.
    pub fn frame(&self) {
        self.0.send_modify(|phase| {
            *phase = match *phase {
                Phase::Upstream(n) => Phase::Upstream(n.wrapping_add(1)),
                _ => Phase::Upstream(0),
            }
        });
    }

    /// The last byte was handed on.
    pub fn sent(&self) {
        self.0.send_replace(Phase::Sent);
    }
}

/// Why no response head came in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Late {
    /// The upstream took no body bytes for `idle_timeout`.
    Upload,
    /// No head within `reply_timeout` of the body being sent.
    Head,
}

/// Waits for `request` (the response head): while the body streams, the
/// upstream must take each frame within `idle`; once the body is sent (or
/// dropped), the head must come within `reply_timeout`. A response that
/// comes early is returned at once.
pub async fn head_within<F: Future>(
    request: F,
    mut phase: Watcher,
    idle: Duration,
    reply_timeout: Duration,
) -> Result<F::Output, Late> {
    tokio::pin!(request);
    loop {
        let current = *phase.borrow_and_update();
        let changed = match current {
            Phase::Sent => break,
            Phase::Client => tokio::select! {
                early = &mut request => return Ok(early),
                changed = phase.changed() => changed,
            },
            Phase::Upstream(_) => tokio::select! {
                early = &mut request => return Ok(early),
                changed = tokio::time::timeout(idle, phase.changed()) => {
                    changed.map_err(|_| Late::Upload)?
                }
            },
        };
        if changed.is_err() {
            break;
        }
    }
    tokio::time::timeout(reply_timeout, request)
        .await
        .map_err(|_| Late::Head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    const IDLE: Duration = Duration::from_secs(5);
    const REPLY: Duration = Duration::from_secs(3);

    #[tokio::test(start_paused = true)]
    async fn the_head_deadline_counts_from_the_end_of_a_slow_upload() {
        let (reporter, watcher) = channel();
        let started = Instant::now();
        let uploading = async move {
            for _ in 0..20 {
                reporter.frame();
                reporter.client();
                tokio::time::sleep(Duration::from_secs(4)).await;
            }
            reporter.sent();
        };
        let never = std::future::pending::<()>();
        let (waited, ()) = tokio::join!(head_within(never, watcher, IDLE, REPLY), uploading);
        assert_eq!(waited, Err(Late::Head));
        assert_eq!(started.elapsed(), Duration::from_secs(80) + REPLY);
    }

    #[tokio::test(start_paused = true)]
    async fn an_upstream_that_stops_taking_the_body_is_late() {
        let (reporter, watcher) = channel();
        reporter.frame();
        let started = Instant::now();
        let never = std::future::pending::<()>();
        assert_eq!(
            head_within(never, watcher, IDLE, REPLY).await,
            Err(Late::Upload)
        );
        assert_eq!(started.elapsed(), IDLE);
        drop(reporter);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_client_is_left_to_the_body_idle_timeout() {
        let (reporter, watcher) = channel();
        let late_answer = async {
            tokio::time::sleep(IDLE * 10).await;
            200
        };
        assert_eq!(
            head_within(late_answer, watcher, IDLE, REPLY).await,
            Ok(200)
        );
        drop(reporter);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_body_starts_the_head_deadline() {
        let (reporter, watcher) = channel();
        drop(reporter);
        let started = Instant::now();
        let never = std::future::pending::<()>();
        assert_eq!(
            head_within(never, watcher, IDLE, REPLY).await,
            Err(Late::Head)
        );
        assert_eq!(started.elapsed(), REPLY);
    }

    #[tokio::test(start_paused = true)]
    async fn an_early_response_does_not_wait_for_the_upload() {
        let (reporter, watcher) = channel();
        reporter.frame();
        assert_eq!(
            head_within(async { 413 }, watcher, IDLE, REPLY).await,
            Ok(413)
        );
    }
}
