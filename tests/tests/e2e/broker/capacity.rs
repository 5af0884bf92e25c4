//! A slow worker is never given more than its capacity: the requests beyond it wait at the broker
//! and are served as slots free up.

use std::time::{Duration, Instant};

use scale0_tests::procs::Worker;

use super::load::{send, Method};
use super::{story, Stack, REPLY_TIMEOUT};

/// The async-worker's capacity.
const CAPACITY: u32 = 2;
/// Requests fired at once.
const REQUESTS: u32 = 8;
/// Each request's nap.
const NAP: Duration = Duration::from_millis(300);

/// The `peak N` the async-worker's page reports: the most requests it had in progress at once.
fn peak(page: &str) -> Option<usize> {
    page.split("peak ").nth(1)?.trim().parse().ok()
}

#[test]
fn a_slow_worker_never_holds_more_than_its_capacity() {
    let _one = story();
    let stack = Stack::start(REPLY_TIMEOUT);
    let (broker, control) = (&stack.endpoints.workers, &stack.endpoints.control);
    let worker = Worker::nap("nap", broker, control, "nap", CAPACITY, stack.dir.path()).unwrap();
    stack.wait_serving("/nap?ms=1");

    let port = stack.gateway.port();
    let path = format!("/nap?ms={}", NAP.as_millis());
    let start = Instant::now();
    let (answers, most_in_flight) = std::thread::scope(|s| {
        let requests: Vec<_> = (0..REQUESTS)
            .map(|_| s.spawn(|| send(port, Method::Get, &path, b"")))
            .collect();
        let mut most_in_flight = 0;
        while requests.iter().any(|r| !r.is_finished()) {
            let status = stack.broker.status().unwrap();
            let held = status["workers"]
                .as_array()
                .and_then(|w| w.iter().find(|w| w["identity"] == worker.identity()))
                .and_then(|w| w["in_flight"].as_u64())
                .unwrap_or(0);
            most_in_flight = most_in_flight.max(held);
        }
        let answers: Vec<_> = requests
            .into_iter()
            .map(|r| r.join().unwrap().unwrap())
            .collect();
        (answers, most_in_flight)
    });
    let elapsed = start.elapsed();

    let peaks: Vec<_> = answers.iter().map(|a| peak(&a.body)).collect();
    eprintln!(
        "{REQUESTS} × {NAP:?} at capacity {CAPACITY}: {elapsed:?}, in flight at most \
         {most_in_flight} (ctl status), peaks {peaks:?}"
    );
    for answer in &answers {
        assert_eq!(answer.status, 200, "{answer:?}");
        let peak = peak(&answer.body);
        assert!(peak.is_some_and(|p| p <= CAPACITY as usize), "{answer:?}");
    }
    assert!((1..=u64::from(CAPACITY)).contains(&most_in_flight));
    let rounds = REQUESTS / CAPACITY;
    assert!(
        elapsed >= NAP * rounds,
        "{REQUESTS} naps of {NAP:?} two at a time took only {elapsed:?}"
    );
}

#[test]
fn the_peak_is_read_from_the_async_workers_page() {
    let page = "/nap: napped 300 ms; 2 request(s) in progress when it started, peak 2\n";
    assert_eq!(peak(page), Some(2));
    assert_eq!(peak("no peak here"), None);
}
