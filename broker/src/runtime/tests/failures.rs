//! Workers that die: silent ones are expired by liveness, closed ones are found by the ROUTER.

use super::*;
use crate::protocol::ServiceName;
use crate::runtime::Transport;

#[tokio::test]
async fn a_worker_that_stops_heartbeating_loses_its_request_to_another_worker() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let (broker, links) = Running::start(settings(&dir), &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let workers = &broker.endpoints.workers;
    let mut first = FakeWorker::ready(&ctx, workers, "w-first", &["echo"], 1).await;
    let mut second = FakeWorker::ready(&ctx, workers, "w-second", &["echo"], 1).await;
    tx.send(submit(1, "echo", payload("gw-1", 5)))
        .await
        .unwrap();
    let (_, got) = first.request().await;
    assert_eq!(
        got,
        payload("gw-1", 5),
        "the least recently used worker takes it"
    );
    // `first` now falls silent; `second` keeps heartbeating while it waits.
    let (request, got) = second.request().await;
    assert_eq!(
        got,
        payload("gw-1", 5),
        "the idempotent request is re-dispatched"
    );
    second.answer(request, &got, "from second");
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Reply(reply_to(&payload("gw-1", 5), "from second"))
    );
    match first.recv().await {
        Command::Disconnect { reason } => assert_eq!(reason.as_deref(), Some("heartbeat expired")),
        other => panic!("the silent worker should be told, got {other:?}"),
    }
    broker.stop().await;
}

/// Submits a non-idempotent request, lets `worker` take it, drops the worker's socket, and expects the
/// 502 long before liveness (10 s here) could explain it. Returns the broker's status afterwards.
async fn closed_worker_fails_its_request(transport: Transport) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let mut settings = settings(&dir);
    settings.engine.liveness = 100;
    settings.control = Some(ipc(&dir, "control"));
    settings.transport = transport;
    let (broker, links) = Running::start(settings, &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 1).await;
    let not_idempotent = ToBroker::Submit {
        request: 1,
        service: ServiceName::new(b"echo").unwrap(),
        payload: payload("gw-1", 9),
        deadline: Duration::ZERO,
        idempotent: false,
    };
    tx.send(not_idempotent).await.unwrap();
    worker.request().await;
    drop(worker);
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Fail {
            request: 1,
            status: 502,
            retry_after: Duration::ZERO,
            reason: "worker-lost".into()
        }
    );
    let control = broker.endpoints.control.clone().unwrap();
    let command = crate::control::Command::Status;
    let status = tokio::task::spawn_blocking(move || crate::control::query(&control, &command));
    let status = status.await.unwrap().unwrap();
    assert_eq!(status["workers"].as_array().map(Vec::len), Some(0));
    broker.stop().await;
    status
}

#[tokio::test]
async fn a_worker_whose_connection_closed_is_unregistered_at_once() {
    let status = closed_worker_fails_its_request(Transport::Native).await;
    // The native ROUTER saw the connection end: no send had to fail first.
    assert_eq!(status["io"]["worker_unreachable"], 0);
    assert_eq!(status["counters"]["workers_disconnected"], 1);
}

#[tokio::test]
async fn with_libzmq_a_closed_worker_is_unregistered_when_the_router_cannot_reach_it() {
    let status = closed_worker_fails_its_request(Transport::Libzmq).await;
    // libzmq reports nothing when a peer leaves: the next heartbeat's EHOSTUNREACH found it.
    assert_eq!(status["io"]["worker_unreachable"], 1);
}
