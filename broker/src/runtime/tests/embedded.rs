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

/// A gateway sink that forwards into an unbounded channel, or plays a full gateway.
struct Sink {
    tx: mpsc::UnboundedSender<FromBroker>,
    full: std::sync::atomic::AtomicBool,
}

impl crate::link::Deliver for Sink {
    fn deliver(&self, message: FromBroker) -> crate::link::Delivery {
        if self.full.load(std::sync::atomic::Ordering::Relaxed) {
            return crate::link::Delivery::Full;
        }
        match self.tx.send(message) {
            Ok(()) => crate::link::Delivery::Taken,
            Err(_) => crate::link::Delivery::Gone,
        }
    }
}

#[tokio::test]
async fn the_broker_loop_calls_the_sink_and_counts_what_a_full_sink_drops() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let settings = Settings {
        control: Some(ipc(&dir, "control")),
        ..settings(&dir)
    };
    let mut bound = Broker::bind(settings).await.unwrap();
    let (sink_tx, mut rx) = mpsc::unbounded_channel();
    let sink = std::sync::Arc::new(Sink {
        tx: sink_tx,
        full: false.into(),
    });
    let (tx, task) = bound
        .embedded_link_to("gw-1", 16, sink.clone())
        .into_parts();
    assert!(task.is_none(), "no task between the broker and the gateway");
    let endpoints = bound.endpoints().clone();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(bound.run(shutdown.clone()));
    let broker = Running {
        shutdown,
        task,
        endpoints,
    };
    let got = timeout(DEADLINE, rx.recv()).await.unwrap();
    assert_eq!(got, Some(FromBroker::Up));
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 1).await;
    tx.send(submit(1, "echo", payload("gw-1", 4)))
        .await
        .unwrap();
    let (request, got) = worker.request().await;
    worker.answer(request, &got, "one");
    let reply = timeout(DEADLINE, rx.recv()).await.unwrap();
    assert_eq!(reply, Some(FromBroker::Reply(reply_to(&got, "one"))));
    sink.full.store(true, std::sync::atomic::Ordering::Relaxed);
    tx.send(submit(2, "echo", payload("gw-1", 5)))
        .await
        .unwrap();
    let (request, got) = worker.request().await;
    worker.answer(request, &got, "two");
    let control = broker.endpoints.control.clone().unwrap();
    let give_up = tokio::time::Instant::now() + DEADLINE;
    loop {
        let endpoint = control.clone();
        let status = tokio::task::spawn_blocking(move || {
            crate::control::query(&endpoint, &crate::control::Command::Status)
        });
        let status = status.await.unwrap().unwrap();
        if status["io"]["gateway_full_drops"] == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < give_up, "{status}");
    }
    broker.stop().await;
}
