//! Rust handlers attached to the peer: a readiness handshake that beats the
//! ZeroMQ slow joiner, a bounded receive, and a handler thread that records
//! every frame Mongrel2 sends it while an `answer` function replies.
//!
//! Slow joiner: Mongrel2's SUB learns of a freshly connected handler PUB only
//! after a handshake, and the PUB drops replies published before that. So a
//! handler is "ready" only once one of its replies has reached a real client;
//! [`handshake`] proves that with a probe request and leaves nothing behind
//! (the probe's disconnect notice is consumed), so tests start from silence.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mongrel2_compat::handler::{self, Connection, Incoming};
use mongrel2_compat::request::{self, Request};

use super::Mongrel2;

/// Path of the readiness probe; no test sends it.
pub const PROBE_PATH: &str = "/scale0-readiness-probe";
/// How long a handler may take to be reachable both ways (requests and replies).
pub const READY_DEADLINE: Duration = Duration::from_secs(10);
/// First wait for a probe reply before publishing it again; doubles per try.
const PROBE_FIRST_WAIT: Duration = Duration::from_millis(10);
/// Longest wait between two probe replies. Mongrel2 drops a client whose write
/// queue exceeds 16 messages, so replies are spaced out rather than flooded.
const PROBE_MAX_WAIT: Duration = Duration::from_secs(1);
/// How often the recording thread checks its stop flag while idle.
const POLL: Duration = Duration::from_millis(50);
/// Frames the recording thread may hold before it waits for the test to read.
const FRAME_QUEUE: usize = 256;

/// How a [`RecordingHandler`] answers one HTTP request (notices are not passed
/// on); `scale0_workers_examples::hello::answer` fits.
pub type Answer = fn(&Connection, &Request<'_>) -> Result<(), handler::Error>;

impl Mongrel2 {
    /// Connects a handler to this peer and waits until it is ready (see [`handshake`]).
    pub fn connect_handler(&self) -> anyhow::Result<Connection> {
        let conn = Connection::connect(None, &self.send_spec, &self.recv_spec)?;
        handshake(self.http_port, &conn, READY_DEADLINE).map_err(|e| e.context(self.logs()))?;
        Ok(conn)
    }
}

/// Waits up to `deadline` for the next message Mongrel2 pushes to `conn`; the
/// error names `what` was awaited.
pub fn recv_within(conn: &Connection, deadline: Duration, what: &str) -> anyhow::Result<Incoming> {
    conn.recv_timeout(deadline)?.ok_or_else(|| {
        anyhow::anyhow!("the handler received nothing within {deadline:?} while waiting for {what}")
    })
}

/// Proves that `conn` is reachable both ways through the server on
/// `http_port`: sends `GET PROBE_PATH`, receives it on `conn`, and publishes
/// numbered replies (spaced out, doubling waits) until the client reads one;
/// then reads until the last one sent has arrived (so none is left in flight),
/// closes the client and consumes the probe's disconnect notice. Fails if any
/// other message arrives or `deadline` passes.
pub fn handshake(http_port: u16, conn: &Connection, deadline: Duration) -> anyhow::Result<()> {
    let until = Deadline::new(deadline);
    let mut client = TcpStream::connect(("127.0.0.1", http_port))?;
    client.write_all(format!("GET {PROBE_PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())?;
    let incoming = recv_within(conn, until.left()?, "the readiness probe request")?;
    let probe = incoming.request()?;
    anyhow::ensure!(
        probe.path == PROBE_PATH.as_bytes(),
        "expected the readiness probe first, the handler got {:?}",
        String::from_utf8_lossy(incoming.bytes())
    );
    reply_until_read(conn, &probe, &mut client, &until)?;
    drop(client);
    let notice = recv_within(
        conn,
        until.left()?,
        "the readiness probe's disconnect notice",
    )?;
    let parsed = notice.request()?;
    anyhow::ensure!(
        parsed.is_notice() && parsed.conn_id == probe.conn_id,
        "expected the probe's disconnect notice, the handler got {:?}",
        String::from_utf8_lossy(notice.bytes())
    );
    Ok(())
}

/// Publishes numbered replies to `probe` until `client` reads one (the PUB
/// dropped the earlier ones while Mongrel2's subscription was on its way), then
/// reads until the last one published has arrived.
fn reply_until_read(
    conn: &Connection,
    probe: &Request<'_>,
    client: &mut TcpStream,
    until: &Deadline,
) -> anyhow::Result<()> {
    let mut sent = 0u32;
    let mut wait = PROBE_FIRST_WAIT;
    let mut got = Vec::new();
    let last = loop {
        sent += 1;
        conn.reply_http(probe, format!("probe {sent}").as_bytes(), 200, "OK", &[])?;
        let open = read_some(client, wait.min(until.left()?), &mut got)?;
        anyhow::ensure!(open, "probe connection closed before any reply arrived");
        if !got.is_empty() {
            break format!("\r\n\r\nprobe {sent}");
        }
        wait = (wait * 2).min(PROBE_MAX_WAIT);
    };
    while !got.ends_with(last.as_bytes()) {
        anyhow::ensure!(
            read_some(client, until.left()?, &mut got)?,
            "probe connection closed early; got {:?}",
            String::from_utf8_lossy(&got)
        );
    }
    Ok(())
}

/// The end of an overall wait, handing out what is left of it.
struct Deadline {
    start: Instant,
    total: Duration,
}

impl Deadline {
    fn new(total: Duration) -> Deadline {
        Deadline {
            start: Instant::now(),
            total,
        }
    }

    /// Time left, or an error once it has run out.
    fn left(&self) -> anyhow::Result<Duration> {
        self.total
            .checked_sub(self.start.elapsed())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| anyhow::anyhow!("handler not ready within {:?}", self.total))
    }
}

/// Appends what `client` delivers within `timeout` to `out`; false at EOF.
fn read_some(client: &mut TcpStream, timeout: Duration, out: &mut Vec<u8>) -> anyhow::Result<bool> {
    client.set_read_timeout(Some(timeout))?;
    let mut buf = [0u8; 4096];
    match client.read(&mut buf) {
        Ok(0) => Ok(false),
        Ok(n) => {
            out.extend_from_slice(&buf[..n]);
            Ok(true)
        }
        Err(e)
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::TimedOut =>
        {
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

/// A handler thread connected to a [`Mongrel2`]: it answers each HTTP request
/// with an [`Answer`] and hands every frame it received (requests and notices,
/// raw bytes, in arrival order) to the test. Ready when `start` returns.
pub struct RecordingHandler {
    frames: Option<Receiver<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<anyhow::Result<u64>>>,
}

impl RecordingHandler {
    /// Connects a handler thread to `m2`, completes the [`handshake`], then serves.
    pub fn start(m2: &Mongrel2, answer: Answer) -> anyhow::Result<RecordingHandler> {
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let (frames_tx, frames_rx) = mpsc::sync_channel(FRAME_QUEUE);
        let stop = Arc::new(AtomicBool::new(false));
        let (port, send_spec, recv_spec) =
            (m2.http_port, m2.send_spec.clone(), m2.recv_spec.clone());
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let ready = Connection::connect(None, &send_spec, &recv_spec)
                    .map_err(anyhow::Error::from)
                    .and_then(|conn| handshake(port, &conn, READY_DEADLINE).map(|()| conn));
                let conn = match ready {
                    Ok(conn) => conn,
                    Err(e) => {
                        let message = format!("{e:#}");
                        let _starter_gone = ready_tx.send(Err(e));
                        anyhow::bail!("handler never got ready: {message}");
                    }
                };
                let _starter_gone = ready_tx.send(Ok(()));
                serve(&conn, answer, &stop, &frames_tx)
            })
        };
        let mut handler = RecordingHandler {
            frames: Some(frames_rx),
            stop,
            thread: Some(thread),
        };
        let margin = Duration::from_secs(5);
        match ready_rx.recv_timeout(READY_DEADLINE + margin) {
            Ok(Ok(())) => Ok(handler),
            Ok(Err(e)) => Err(e.context(m2.logs())),
            Err(_) => Err(handler
                .finish()
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("handler thread never reported readiness"))
                .context(m2.logs())),
        }
    }

    /// The next frame Mongrel2 sent the handler, within `deadline`; the error
    /// names `what` was awaited (or the handler thread's failure).
    pub fn next_frame(&mut self, deadline: Duration, what: &str) -> anyhow::Result<Vec<u8>> {
        let frames = self
            .frames
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("handler already stopped"))?;
        match frames.recv_timeout(deadline) {
            Ok(frame) => Ok(frame),
            Err(RecvTimeoutError::Timeout) => {
                anyhow::bail!(
                    "the handler received nothing within {deadline:?} while waiting for {what}"
                )
            }
            Err(RecvTimeoutError::Disconnected) => {
                let ended = self.finish();
                anyhow::bail!("the handler thread ended while waiting for {what}: {ended:?}")
            }
        }
    }

    /// Stops the thread; returns how many requests it answered, or its error.
    pub fn stop(mut self) -> anyhow::Result<u64> {
        self.finish()
    }

    fn finish(&mut self) -> anyhow::Result<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.frames = None;
        let thread = self
            .thread
            .take()
            .ok_or_else(|| anyhow::anyhow!("handler thread already joined"))?;
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("handler thread panicked"))?
    }
}

impl Drop for RecordingHandler {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _outcome_reported_by_stop = self.finish();
        }
    }
}

/// The recording thread's loop: record every frame, answer HTTP requests.
fn serve(
    conn: &Connection,
    answer: Answer,
    stop: &AtomicBool,
    frames: &SyncSender<Vec<u8>>,
) -> anyhow::Result<u64> {
    let mut answered = 0;
    while !stop.load(Ordering::Relaxed) {
        let Some(incoming) = conn.recv_timeout(POLL)? else {
            continue;
        };
        if frames.send(incoming.bytes().to_vec()).is_err() {
            break;
        }
        match request::decode(incoming.bytes()) {
            Ok(req) if !req.is_notice() => {
                answer(conn, &req)?;
                answered += 1;
            }
            Ok(_notice) => {}
            Err(e) => anyhow::bail!(
                "undecodable frame {:?}: {e}",
                String::from_utf8_lossy(incoming.bytes())
            ),
        }
    }
    Ok(answered)
}
