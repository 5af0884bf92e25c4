//! Waiting for events with a deadline instead of sleeping.

use std::time::{Duration, Instant};

/// How often [`until`] polls its condition.
const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Polls `condition` until it returns `Some`, or fails after `deadline` with a
/// message naming what was awaited.
pub fn until<T>(
    what: &str,
    deadline: Duration,
    mut condition: impl FnMut() -> Option<T>,
) -> anyhow::Result<T> {
    let start = Instant::now();
    loop {
        if let Some(value) = condition() {
            return Ok(value);
        }
        if start.elapsed() > deadline {
            anyhow::bail!("timed out after {deadline:?} waiting for {what}");
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// True once something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}
