//! The access log: one line per request, written by one task from a bounded
//! queue (a full queue drops lines and counts them, it never slows requests).
//!
//! Format (docs/access-log.md), space separated, `-` for unknown fields:
//!
//! ```text
//! 2026-11-24T06:04:06.123Z 127.0.0.1 conn=7 "GET /hello?x=1 HTTP/1.1" 200 1.234ms route=/ target=app fault=-
//! ```
//! time (UTC, RFC 3339, milliseconds), client address, conn id, request line
//! (method, path and query, version), status, time to the response head,
//! the route's pattern, the target name, and whose fault a failure was
//! (`client`, `upstream`, `overload`, `gateway`).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::AccessLog as Destination;
use crate::failure::Fault;

/// Lines waiting for the writer task, at most.
pub const QUEUE: usize = 4096;

/// One request, as logged.
#[derive(Debug, Clone)]
pub struct Entry {
    time: SystemTime,
    client: SocketAddr,
    conn_id: u64,
    request_line: String,
    /// The response status.
    pub status: u16,
    /// Time from the request head to the response head.
    pub elapsed: Duration,
    /// The route's pattern.
    pub route: String,
    /// The target's name.
    pub target: String,
    /// Whose fault a failure was.
    pub failure: Option<Fault>,
}

impl Entry {
    /// Starts an entry for a request head.
    pub fn new(parts: &http::request::Parts, conn_id: u64, client: SocketAddr) -> Entry {
        let uri = parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        Entry {
            time: SystemTime::now(),
            client,
            conn_id,
            request_line: format!("{} {} {:?}", parts.method, uri, parts.version),
            status: 0,
            elapsed: Duration::ZERO,
            route: String::new(),
            target: String::new(),
            failure: None,
        }
    }

    /// The log line, without the newline.
    pub fn line(&self) -> String {
        let dash = |s: &str| {
            if s.is_empty() {
                "-".to_owned()
            } else {
                s.to_owned()
            }
        };
        let fault = match self.failure {
            None => "-",
            Some(Fault::Client) => "client",
            Some(Fault::Upstream) => "upstream",
            Some(Fault::Overload) => "overload",
            Some(Fault::Gateway) => "gateway",
        };
        let mut line = rfc3339(self.time);
        let _infallible = write!(
            line,
            " {} conn={} \"{}\" {} {:.3}ms route={} target={} fault={}",
            self.client.ip(),
            self.conn_id,
            self.request_line.escape_default(),
            self.status,
            self.elapsed.as_secs_f64() * 1000.0,
            dash(&self.route),
            dash(&self.target),
            fault
        );
        line
    }
}

/// Where entries go.
#[derive(Debug, Clone)]
pub struct Logger {
    tx: Option<mpsc::Sender<String>>,
    dropped: Arc<AtomicU64>,
    /// Cancelled by [`Logger::close`]: the writer drains its queue and ends.
    closing: CancellationToken,
    /// The writer task, apart from the connections' tasks so that closing
    /// the gateway can wait for connections first, then for their lines.
    writer: TaskTracker,
}

impl Logger {
    /// A logger that writes nothing.
    pub fn off() -> Logger {
        let writer = TaskTracker::new();
        writer.close();
        Logger {
            tx: None,
            dropped: Arc::new(AtomicU64::new(0)),
            closing: CancellationToken::new(),
            writer,
        }
    }

    /// Starts the writer task for `destination`; it runs until
    /// [`Logger::close`].
    pub async fn start(destination: &Destination) -> std::io::Result<Logger> {
        let mut out: Box<dyn tokio::io::AsyncWrite + Send + Unpin> = match destination {
            Destination::Off => return Ok(Logger::off()),
            Destination::Stdout => Box::new(tokio::io::stdout()),
            Destination::File(path) => Box::new(
                tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .await?,
            ),
        };
        let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
        let closing = CancellationToken::new();
        let writer = TaskTracker::new();
        let closed = closing.clone();
        writer.spawn(async move {
            loop {
                let mut line = tokio::select! {
                    biased;
                    line = rx.recv() => match line {
                        Some(line) => line,
                        None => break,
                    },
                    _ = closed.cancelled() => match rx.try_recv() {
                        Ok(line) => line,
                        Err(_) => break,
                    },
                };
                line.push('\n');
                if let Err(e) = out.write_all(line.as_bytes()).await {
                    tracing::warn!("access log write failed: {e}");
                }
                if rx.is_empty() {
                    let _flush_best_effort = out.flush().await;
                }
            }
            let _flush_best_effort = out.flush().await;
        });
        writer.close();
        Ok(Logger {
            tx: Some(tx),
            dropped: Arc::new(AtomicU64::new(0)),
            closing,
            writer,
        })
    }

    /// Writes the lines still queued, then stops the writer. Call once the
    /// connections are done; later lines are dropped.
    pub async fn close(&self) {
        self.closing.cancel();
        self.writer.wait().await;
    }

    /// True when lines are written (callers skip building entries otherwise).
    pub fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Queues `entry`; counts it as dropped when the queue is full.
    pub fn log(&self, entry: &Entry) {
        if let Some(tx) = &self.tx {
            if tx.try_send(entry.line()).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Lines dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_500_246_123);
        assert_eq!(rfc3339(t), "2026-11-24T06:04:06.123Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn line_has_every_documented_field() {
        let parts = http::Request::get("/hello?x=1")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        let mut e = Entry::new(&parts, 7, "127.0.0.1:9".parse().unwrap());
        e.status = 504;
        e.route = "/".into();
        e.target = "app".into();
        e.failure = Some(Fault::Upstream);
        let line = e.line();
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields[1..4], ["127.0.0.1", "conn=7", "\"GET"]);
        assert_eq!(fields[4..7], ["/hello?x=1", "HTTP/1.1\"", "504"]);
        assert!(fields[7].ends_with("ms"));
        assert_eq!(fields[8..], ["route=/", "target=app", "fault=upstream"]);
    }

    #[tokio::test]
    async fn close_writes_queued_lines_while_clones_are_alive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let logger = Logger::start(&Destination::File(path.clone()))
            .await
            .unwrap();
        let held_by_a_connection = logger.clone();
        let parts = http::Request::get("/a").body(()).unwrap().into_parts().0;
        for _ in 0..3 {
            logger.log(&Entry::new(&parts, 1, "127.0.0.1:9".parse().unwrap()));
        }
        tokio::time::timeout(Duration::from_secs(5), logger.close())
            .await
            .expect("close does not wait for the last Logger to drop");
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written.lines().count(), 3, "{written}");
        drop(held_by_a_connection);
    }

    #[tokio::test]
    async fn closing_a_logger_that_is_off_returns_at_once() {
        tokio::time::timeout(Duration::from_secs(5), Logger::off().close())
            .await
            .expect("an off logger has no writer to wait for");
    }
}
