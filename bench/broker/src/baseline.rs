//! The ceiling on this machine: the same fake worker driven by a plain blocking libzmq ROUTER loop that
//! keeps the window in flight with pre-encoded REQUESTs, without tokio, the engine or a gateway link.

use std::time::Instant;

use bytes::Bytes;
use scale0_broker::protocol::{self, Command, RequestId, Version};

use crate::driver::{Periods, Report};

/// Runs the plain loop against the workers that connect to `endpoint` (one is enough).
pub fn run(
    endpoint: &str,
    window: usize,
    version: Version,
    periods: &Periods,
) -> Result<Report, zmq::Error> {
    let ctx = zmq::Context::new();
    let router = ctx.socket(zmq::ROUTER)?;
    router.set_linger(0)?;
    router.set_sndhwm(100_000)?;
    router.set_rcvhwm(100_000)?;
    router.bind(endpoint)?;
    let worker = loop {
        let frames = router.recv_multipart(0)?;
        if let Some(identity) = frames.first() {
            break identity.clone();
        }
    };
    let request = |slot: usize| {
        let mut frames = vec![Bytes::from(worker.clone())];
        let request = Command::Request {
            request: RequestId(slot as u64),
            sender: Bytes::from_static(b"bench"),
            payload: Bytes::from(format!("bench {slot} /p 2:{{}},0:,")),
        };
        frames.extend(protocol::encode_version(&request, version));
        frames
    };
    let requests: Vec<Vec<Bytes>> = (0..window).map(request).collect();
    let mut started = vec![Instant::now(); window];
    let send = |slot: usize, started: &mut [Instant]| {
        started[slot] = Instant::now();
        router.send_multipart(requests[slot].iter().map(|f| &f[..]), 0)
    };
    for slot in 0..window {
        send(slot, &mut started)?;
    }
    let measure_from = Instant::now() + periods.warmup;
    let measure_until = measure_from + periods.measured;
    let (mut replies, mut latencies) = (0u64, Vec::with_capacity(1 << 20));
    let mut cpu_from = None;
    while Instant::now() < measure_until {
        let frames = router.recv_multipart(0)?;
        let frames: Vec<&[u8]> = frames.iter().skip(1).map(|f| &f[..]).collect();
        let request = match protocol::decode(&frames) {
            Ok(Command::Done { request } | Command::ReplyDone { request, .. }) => request,
            _ => continue,
        };
        let slot = usize::try_from(request.0).unwrap_or(0) % window;
        let now = Instant::now();
        if now >= measure_from {
            if cpu_from.is_none() {
                cpu_from = crate::cpu::thread_cpu();
            }
            replies += 1;
            let micros = now.duration_since(started[slot]).as_micros();
            latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
        }
        send(slot, &mut started)?;
    }
    let elapsed = Instant::now().saturating_duration_since(measure_from);
    let cpu = crate::cpu::thread_cpu()
        .zip(cpu_from)
        .map(|(end, start)| end.saturating_sub(start));
    Ok(Report::new(replies, 0, elapsed, cpu, latencies))
}
