//! Workers leaving under load: one killed with requests in its hands (GETs go to another worker,
//! POSTs get 502, nothing hangs), and all of them stopping gracefully (what they hold finishes, then
//! requests get 503 with Retry-After at the route's deadline).

use std::time::Duration;

use scale0_tests::procs::worker_identities;

use super::load::{self, by_worker, outcomes, send, Load, Method};
use super::{story, Stack, HEARTBEAT, REPLY_TIMEOUT};

/// How long each hello-worker request works: long enough that a killed worker surely holds requests.
const WORK: Duration = Duration::from_millis(50);
/// How long a story's requests may take in all.
const RUN_DEADLINE: Duration = Duration::from_secs(12);
/// How long a stopping worker may take to finish what it holds and exit.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

#[test]
fn a_worker_killed_mid_run_loses_no_get_and_fails_its_posts_with_502() {
    let _one = story();
    let stack = Stack::start(REPLY_TIMEOUT);
    let mut workers: Vec<_> = ["w1", "w2", "w3"]
        .map(|name| stack.hello(name, 2, WORK))
        .into();
    stack.wait_serving("/");

    let load = Load::new(3000, "/", |i| {
        if i % 2 == 0 {
            Method::Get
        } else {
            Method::Post
        }
    });
    let shots = std::thread::scope(|s| {
        let clients = load.run(s, stack.gateway.port(), 8);
        load.wait_done(100, RUN_DEADLINE);
        workers[0].process().kill9().unwrap();
        load.set_phase(1);
        let killed_at = load.done();
        load.wait_done(killed_at + 200, RUN_DEADLINE);
        load.stop();
        load::join(clients)
    });

    let all = outcomes(&shots);
    let after_kill = by_worker(shots.iter().filter(|s| s.phase == 1));
    let status = stack.broker.status().unwrap();
    let counters = &status["counters"];
    eprintln!(
        "kill -9 of w1 mid-run: {all:?}; answered after the kill by {after_kill:?}; broker: \
         retried {}, failed_502 {}",
        counters["retried"], counters["failed_502"]
    );
    assert_eq!(
        load::first_error(&shots),
        None,
        "a request hung or failed: {all:?}"
    );
    let count = |outcome: &str| all.get(outcome).copied().unwrap_or(0);
    let gets = shots.iter().filter(|s| s.method == Method::Get).count();
    assert_eq!(count("GET 200"), gets, "every GET is answered 200: {all:?}");
    let posts = shots.len() - gets;
    assert_eq!(count("POST 200") + count("POST 502"), posts, "{all:?}");
    assert!(
        count("POST 502") <= 2,
        "only POSTs w1 held (capacity 2) may fail: {all:?}"
    );
    assert_eq!(after_kill.get("w1"), None, "{after_kill:?}");
    let lost = counters["retried"].as_u64().unwrap() + counters["failed_502"].as_u64().unwrap();
    assert!(
        lost >= 1,
        "w1 held nothing when killed (retried + failed_502 = 0)?"
    );
    assert!(counters["failed_502"].as_u64().unwrap() >= count("POST 502") as u64);
    scale0_tests::wait::until(
        "the broker to forget w1",
        HEARTBEAT.death_time() * 4,
        || {
            let listed = worker_identities(&stack.broker.status().ok()?);
            (!listed.contains(&"w1".to_owned())).then_some(())
        },
    )
    .unwrap();
}

#[test]
fn stopped_workers_finish_what_they_hold_then_requests_get_503_with_retry_after() {
    let _one = story();
    let reply_timeout = Duration::from_secs(1);
    let stack = Stack::start(reply_timeout);
    let mut workers: Vec<_> = ["w1", "w2"].map(|name| stack.hello(name, 1, WORK)).into();
    stack.wait_serving("/");

    let load = Load::new(3000, "/", |_| Method::Get);
    let shots = std::thread::scope(|s| {
        let clients = load.run(s, stack.gateway.port(), 4);
        load.wait_done(20, RUN_DEADLINE);
        for worker in &mut workers {
            let exit = worker.process().terminate(STOP_DEADLINE).unwrap();
            assert!(exit.success(), "{exit}; {}", worker.logs());
        }
        load.stop();
        load::join(clients)
    });
    scale0_tests::wait::until("the broker to list no worker", STOP_DEADLINE, || {
        worker_identities(&stack.broker.status().ok()?)
            .is_empty()
            .then_some(())
    })
    .unwrap();
    let after: Vec<_> = std::thread::scope(|s| {
        let port = stack.gateway.port();
        let requests: Vec<_> = (0..4)
            .map(|_| s.spawn(move || send(port, Method::Get, "/", b"").unwrap()))
            .collect();
        requests.into_iter().map(|r| r.join().unwrap()).collect()
    });

    let during = outcomes(&shots);
    let failed: Vec<_> = (shots.iter().filter_map(|s| s.answer.as_ref().ok()))
        .chain(&after)
        .filter(|a| a.status != 200)
        .map(|a| (a.status, a.retry_after.clone(), a.elapsed))
        .collect();
    let counters = &stack.broker.status().unwrap()["counters"];
    eprintln!(
        "GETs while both workers stopped: {during:?}; then 4 GETs with no worker; not 200: \
         (status, Retry-After, time) {failed:?}; broker counters: failed_503 {}, stray_cancels {}",
        counters["failed_503"], counters["stray_cancels"]
    );
    let ended = ["GET 200", "GET 503"].map(|o| during.get(o).copied().unwrap_or(0));
    assert_eq!(
        ended.iter().sum::<usize>(),
        shots.len(),
        "only 200 (what the workers held finishes) or 503: {during:?}; {failed:?}"
    );
    for (status, retry_after, elapsed) in &failed {
        assert_eq!(
            (*status, retry_after.is_some()),
            (503, true),
            "a request that waited for a worker until the route's deadline gets 503 with \
             Retry-After: {failed:?}"
        );
        assert!(
            *elapsed < reply_timeout + Duration::from_secs(1),
            "503 after {elapsed:?}, the route's deadline is {reply_timeout:?}"
        );
    }
}
