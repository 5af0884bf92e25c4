//! A broker killed and started again on the same endpoints: nobody reconfigures anything. Workers
//! notice the silence and register with the new broker by themselves, the gateway's link comes back,
//! and requests are served again; meanwhile every request ends (502/503, never a hang).

use std::time::{Duration, Instant};

use scale0_tests::procs::{worker_identities, Broker};

use super::load::{send, Method};
use super::{story, Stack, HEARTBEAT};

/// The routes' reply deadline: short, so requests during the outage end quickly (503 or 502).
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);
/// How long workers and the gateway may take to find the new broker: death noticed after
/// liveness × interval, then the workers' reconnect backoff (1 s at first).
const RECOVERY_DEADLINE: Duration = Duration::from_secs(10);

#[test]
fn after_a_broker_restart_workers_register_again_and_service_resumes() {
    let _one = story();
    let mut stack = Stack::start(REPLY_TIMEOUT);
    let _workers: Vec<_> = ["w1", "w2"]
        .map(|name| stack.hello(name, 1, Duration::ZERO))
        .into();
    stack.wait_serving("/");

    stack.broker.process().kill9().unwrap();
    let restarted = Instant::now();
    stack.broker = Broker::start(&stack.endpoints, HEARTBEAT, stack.dir.path()).unwrap();

    let mut listed = Vec::new();
    scale0_tests::wait::until(
        "both workers in the new broker's status",
        RECOVERY_DEADLINE,
        || {
            listed = worker_identities(&stack.broker.status().ok()?);
            listed.sort();
            (listed == ["w1", "w2"]).then_some(())
        },
    )
    .unwrap_or_else(|e| panic!("{e}; listed {listed:?}; {}", stack.broker.logs()));
    let registered = restarted.elapsed();

    let mut meanwhile = Vec::new();
    let first = scale0_tests::wait::until("a 200 after the restart", RECOVERY_DEADLINE, || {
        let answer = send(stack.gateway.port(), Method::Get, "/", b"");
        meanwhile.push(
            answer
                .as_ref()
                .map(|a| a.status)
                .map_err(|e| format!("{e:#}")),
        );
        answer.ok().filter(|a| a.status == 200)
    })
    .unwrap_or_else(|e| panic!("{e}; answers {meanwhile:?}; {}", stack.broker.logs()));
    let resumed = restarted.elapsed();
    eprintln!(
        "broker restart: workers listed after {registered:?}, served again after {resumed:?}; \
         answers until then {meanwhile:?}"
    );
    assert!(
        meanwhile.iter().all(|a| matches!(a, Ok(200 | 502 | 503))),
        "while recovering, only 502/503 before the first 200: {meanwhile:?}"
    );
    assert!(first.worker.is_some(), "{first:?}");

    for _ in 0..10 {
        let answer = send(stack.gateway.port(), Method::Get, "/", b"").unwrap();
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    let status = stack.broker.status().unwrap();
    let gateways = status["gateways"].as_array().map_or(0, Vec::len);
    assert_eq!(gateways, 1, "the gateway's link is back: {status}");
}

/// How long the worker of the next story takes over each request: long enough to be held by it when
/// the broker dies, short enough to serve the GET again within the deadline.
const WORK: Duration = Duration::from_millis(600);

/// The broker dies while a worker holds a GET and a POST. The gateway's link parks the GET (idempotent,
/// nothing sent to the client yet) and submits it again once the restarted broker answers, so the
/// client gets its 200; the POST may have run, so it gets 502, as when a worker dies.
#[test]
fn a_get_held_when_the_broker_dies_is_served_after_its_restart_and_a_post_gets_502() {
    let _one = story();
    let deadline = Duration::from_secs(8);
    let mut stack = Stack::start(deadline);
    let worker = stack.hello("slow", 2, WORK);
    stack.wait_serving("/");
    let port = stack.gateway.port();
    let (get, post) = std::thread::scope(|s| {
        let get = s.spawn(|| send(port, Method::Get, "/", b""));
        let post = s.spawn(|| send(port, Method::Post, "/", b"once"));
        scale0_tests::wait::until(
            "the worker holding both requests",
            RECOVERY_DEADLINE,
            || {
                let status = stack.broker.status().ok()?;
                let held = status["workers"]
                    .as_array()?
                    .iter()
                    .find(|w| w["identity"] == worker.identity())?["in_flight"]
                    .as_u64()?;
                (held == 2).then_some(())
            },
        )
        .unwrap_or_else(|e| panic!("{e}; {}", stack.broker.logs()));
        stack.broker.process().kill9().unwrap();
        stack.broker = Broker::start(&stack.endpoints, HEARTBEAT, stack.dir.path()).unwrap();
        (get.join().unwrap(), post.join().unwrap())
    });
    let (get, post) = (get.unwrap(), post.unwrap());
    eprintln!(
        "broker death: GET {} after {:?}, POST {} after {:?}",
        get.status, get.elapsed, post.status, post.elapsed
    );
    assert_eq!(get.status, 200, "the GET served again: {get:?}");
    assert_eq!(post.status, 502, "the POST may have run: {post:?}");
    assert!(get.elapsed < deadline, "{get:?}");
}
