//! Gateways in the broker's process: submits on the link's channel, replies back on it.

use super::*;

#[tokio::test]
async fn a_request_on_an_embedded_link_reaches_the_worker_and_its_reply_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let (broker, links) = Running::start(settings(&dir), &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 1).await;
    tx.send(submit(7, "echo", payload("gw-1", 12)))
        .await
        .unwrap();
    let (request, got) = worker.request().await;
    assert_eq!(
        got,
        payload("gw-1", 12),
        "the payload is passed byte for byte"
    );
    worker.answer(request, &got, "HTTP/1.1 200 OK\r\n\r\nhi");
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Reply(Bytes::from_static(b"gw-1 2:12, HTTP/1.1 200 OK\r\n\r\nhi"))
    );
    broker.stop().await;
    assert_eq!(next(&mut rx).await, FromBroker::Down);
}

#[tokio::test]
async fn ten_thousand_requests_through_one_worker_come_back_in_order() {
    const COUNT: u32 = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let mut settings = settings(&dir);
    settings.engine.max_queue = COUNT as usize;
    let (broker, links) = Running::start(settings, &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 1).await;
    let serving = tokio::spawn(async move {
        for _ in 0..COUNT {
            let (request, got) = worker.request().await;
            worker.answer(request, &got, "ok");
        }
        worker
    });
    let submitting = tokio::spawn(async move {
        for n in 0..COUNT {
            tx.send(submit(u64::from(n), "echo", payload("gw-1", n)))
                .await
                .unwrap();
        }
        tx
    });
    for n in 0..COUNT {
        let expected = reply_to(&payload("gw-1", n), "ok");
        match next(&mut rx).await {
            FromBroker::Reply(reply) => assert_eq!(reply, expected, "reply {n} out of order"),
            other => panic!("request {n}: {other:?}"),
        }
    }
    let (worker, tx) = (serving.await.unwrap(), submitting.await.unwrap());
    drop((worker, tx));
    broker.stop().await;
}

#[tokio::test]
async fn a_gateway_that_drops_its_link_is_forgotten_and_its_held_request_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let (broker, links) = Running::start(settings(&dir), &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 1).await;
    tx.send(submit(1, "echo", payload("gw-1", 3)))
        .await
        .unwrap();
    let (request, _) = worker.request().await;
    drop((tx, rx));
    match worker.recv().await {
        Command::Cancel {
            request: id,
            notice,
        } => {
            assert_eq!(id, request);
            assert!(notice.starts_with(b"gw-1 3 @* "), "{notice:?}");
        }
        other => panic!("expected CANCEL, got {other:?}"),
    }
    broker.stop().await;
}

#[tokio::test]
async fn shutdown_refuses_new_submits_fails_held_ones_and_disconnects_workers() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let (broker, links) = Running::start(settings(&dir), &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 1).await;
    tx.send(submit(1, "echo", payload("gw-1", 1)))
        .await
        .unwrap();
    worker.request().await;
    broker.shutdown.cancel();
    tx.send(submit(2, "echo", payload("gw-1", 2)))
        .await
        .unwrap();
    let fail = |request, status: u16, retry_after, reason: &str| FromBroker::Fail {
        request,
        status,
        retry_after,
        reason: reason.to_owned(),
    };
    let second = Duration::from_secs(1);
    assert_eq!(next(&mut rx).await, fail(2, 503, second, "overloaded"));
    assert_eq!(
        next(&mut rx).await,
        fail(1, 502, Duration::ZERO, "worker-lost")
    );
    assert_eq!(next(&mut rx).await, FromBroker::Down);
    match worker.recv().await {
        Command::Disconnect { reason } => {
            assert_eq!(reason.as_deref(), Some("broker shutting down"))
        }
        other => panic!("expected DISCONNECT, got {other:?}"),
    }
    broker.stop().await;
}
