//! Least-recently-used dispatch as an operator sees it: requests spread evenly over the workers, and a
//! worker that joins mid-run takes its share at once, with nothing to configure.

use std::time::{Duration, Instant};

use super::load::{self, by_worker, outcomes, Load, Method};
use super::{story, Stack, REPLY_TIMEOUT};

/// Client threads: twice the workers' total capacity, so a request always waits for the next free
/// slot and LRU order decides who gets it.
const CLIENTS: usize = 6;
/// How long each request works at a hello-worker: a little, so each worker's share depends on its
/// slots coming free, not on how fast its process happens to be scheduled on a busy machine.
const WORK: Duration = Duration::from_millis(2);
/// How long a story's requests may take in all.
const RUN_DEADLINE: Duration = Duration::from_secs(12);

#[test]
fn three_workers_share_1000_gets_evenly() {
    let _one = story();
    let stack = Stack::start(REPLY_TIMEOUT);
    let _workers: Vec<_> = ["w1", "w2", "w3"]
        .map(|name| stack.hello(name, 1, WORK))
        .into();
    stack.wait_serving("/");

    let load = Load::new(1000, "/", |_| Method::Get);
    let start = Instant::now();
    let shots = std::thread::scope(|s| load::join(load.run(s, stack.gateway.port(), CLIENTS)));
    let elapsed = start.elapsed();

    let outcomes = outcomes(&shots);
    let counts = by_worker(&shots);
    eprintln!("1000 GETs, 3 workers, {elapsed:?}: {outcomes:?}, per worker {counts:?}");
    assert_eq!(
        outcomes.get("GET 200"),
        Some(&1000),
        "{outcomes:?}; first error: {:?}",
        load::first_error(&shots)
    );
    assert!(elapsed < RUN_DEADLINE, "took {elapsed:?}");
    assert_eq!(counts.len(), 3, "{counts:?}");
    for (worker, count) in &counts {
        assert!(
            (267..=400).contains(count),
            "{worker} answered {count} of 1000, not 1/3 ± 20%: {counts:?}"
        );
    }
}

#[test]
fn a_worker_started_mid_run_takes_work() {
    let _one = story();
    let stack = Stack::start(REPLY_TIMEOUT);
    let mut workers: Vec<_> = ["w1", "w2", "w3"]
        .map(|name| stack.hello(name, 1, WORK))
        .into();
    stack.wait_serving("/");

    let load = Load::new(3000, "/", |_| Method::Get);
    let shots = std::thread::scope(|s| {
        let clients = load.run(s, stack.gateway.port(), CLIENTS);
        load.wait_done(200, RUN_DEADLINE);
        load.set_phase(1);
        workers.push(stack.hello("w4", 1, WORK));
        let joined = load.done();
        load.wait_done(joined + 300, RUN_DEADLINE);
        load.stop();
        load::join(clients)
    });

    let (before, after): (Vec<_>, Vec<_>) = shots.iter().partition(|s| s.phase == 0);
    let (before_counts, after_counts) = (by_worker(before), by_worker(after.iter().copied()));
    eprintln!(
        "before w4 joined: {:?} {before_counts:?}; after: {:?} {after_counts:?}",
        outcomes(shots.iter().filter(|s| s.phase == 0)),
        outcomes(after.iter().copied())
    );
    let total_200 = outcomes(&shots).get("GET 200").copied();
    assert_eq!(
        total_200,
        Some(shots.len()),
        "{:?}",
        load::first_error(&shots)
    );
    assert_eq!(before_counts.get("w4"), None);
    let w4 = after_counts.get("w4").copied().unwrap_or(0);
    let after_total: usize = after_counts.values().sum();
    assert!(
        w4 * 8 >= after_total,
        "w4 answered {w4} of the {after_total} requests sent after it joined (a fair share is 1/4): \
         {after_counts:?}"
    );
}
