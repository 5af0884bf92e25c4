//! The gateway side: keeps `window` requests in flight on the embedded link, one per conn id, and
//! resubmits on each reply (or failure), timing every request from submit to reply.

use std::time::{Duration, Instant};

use bytes::Bytes;
use scale0_broker::link::{FromBroker, Link, ToBroker};
use scale0_broker::protocol::ServiceName;

use crate::worker::SERVICE;

/// How long to warm up and how long to measure.
pub struct Periods {
    /// Not measured.
    pub warmup: Duration,
    /// Measured.
    pub measured: Duration,
}

/// What the measured period saw.
pub struct Report {
    /// Replies received.
    pub replies: u64,
    /// FAILs received.
    pub failures: u64,
    /// The measured period's actual length.
    pub elapsed: Duration,
    /// Median submit-to-reply latency.
    pub p50_micros: u64,
    /// 99th percentile submit-to-reply latency.
    pub p99_micros: u64,
    /// CPU time the measuring thread (the broker's, or the plain loop's) used while measured.
    pub cpu: Option<Duration>,
}

impl Report {
    /// A report from the raw measurements (latencies in µs, any order).
    pub fn new(
        replies: u64,
        failures: u64,
        elapsed: Duration,
        cpu: Option<Duration>,
        mut latencies: Vec<u32>,
    ) -> Self {
        latencies.sort_unstable();
        let percentile = |p: usize| {
            let at =
                (latencies.len().saturating_mul(p) / 100).min(latencies.len().saturating_sub(1));
            latencies.get(at).copied().map_or(0, u64::from)
        };
        Report {
            replies,
            failures,
            elapsed,
            p50_micros: percentile(50),
            p99_micros: percentile(99),
            cpu,
        }
    }

    /// Replies per second.
    pub fn rate(&self) -> f64 {
        self.replies as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Replies per CPU-second of the measuring thread, and how busy it was (0..=1).
    pub fn per_cpu_second(&self) -> Option<(f64, f64)> {
        let cpu = self.cpu?.as_secs_f64();
        (cpu > 0.0).then(|| (self.replies as f64 / cpu, cpu / self.elapsed.as_secs_f64()))
    }
}

/// Runs the closed loop until the warm-up and measured periods are over.
pub async fn drive(link: Link, window: usize, periods: Periods) -> Result<Report, String> {
    let (tx, mut rx) = link.split();
    let payloads: Vec<Bytes> = (0..window)
        .map(|conn| Bytes::from(format!("bench {conn} /p 2:{{}},0:,")))
        .collect();
    let mut started = vec![Instant::now(); window];
    let mut requests = vec![0u64; window];
    let mut next_request = 0u64;
    let service = ServiceName::new(SERVICE.as_bytes()).map_err(|e| e.to_string())?;
    let mut submit = |conn: usize, started: &mut [Instant], requests: &mut [u64]| {
        started[conn] = Instant::now();
        next_request += 1;
        requests[conn] = next_request;
        tx.try_send(ToBroker::Submit {
            request: next_request,
            service: service.clone(),
            payload: payloads[conn].clone(),
            deadline: Duration::ZERO,
            idempotent: true,
        })
        .map_err(|e| format!("the link refused a submit: {e}"))
    };
    for conn in 0..window {
        submit(conn, &mut started, &mut requests)?;
    }
    let measure_from = Instant::now() + periods.warmup;
    let measure_until = measure_from + periods.measured;
    let (mut replies, mut failures) = (0u64, 0u64);
    let mut latencies: Vec<u32> = Vec::with_capacity(1 << 20);
    let mut cpu_from = None;
    loop {
        let now = Instant::now();
        if now >= measure_until {
            break;
        }
        let message = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        let conn = match message {
            Ok(Some(FromBroker::Reply(reply))) => conn_of_reply(&reply).filter(|c| *c < window),
            Ok(Some(FromBroker::Fail { request, .. })) => {
                failures += 1;
                requests.iter().position(|r| *r == request)
            }
            Ok(Some(FromBroker::Up | FromBroker::Down)) => None,
            Ok(None) => return Err("the link closed".into()),
            Err(_) => return Err("no reply for 5 s".into()),
        };
        let Some(conn) = conn else { continue };
        let now = Instant::now();
        if now >= measure_from {
            if cpu_from.is_none() {
                cpu_from = crate::cpu::thread_cpu();
            }
            replies += 1;
            let micros = now.duration_since(started[conn]).as_micros();
            latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
        }
        submit(conn, &mut started, &mut requests)?;
    }
    let elapsed = Instant::now().saturating_duration_since(measure_from);
    let cpu = crate::cpu::thread_cpu()
        .zip(cpu_from)
        .map(|(end, start)| end.saturating_sub(start));
    Ok(Report::new(replies, failures, elapsed, cpu, latencies))
}

/// The first conn id of a Mongrel2 reply `UUID SP LEN ':' IDS ',' ...`.
fn conn_of_reply(reply: &[u8]) -> Option<usize> {
    let space = reply.iter().position(|&b| b == b' ')?;
    let rest = &reply[space + 1..];
    let colon = rest.iter().position(|&b| b == b':')?;
    let ids = &rest[colon + 1..];
    let end = ids.iter().position(|&b| b == b',' || b == b' ')?;
    std::str::from_utf8(&ids[..end]).ok()?.parse().ok()
}
