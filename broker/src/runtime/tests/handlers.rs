//! Services backed by Mongrel2 handlers, with real libzmq sockets: the test's handlers are written
//! with plain zmq the way a Mongrel2 handler is (PULL connected to `send_spec`, a publisher connected to
//! `recv_spec`, one bare frame each way), and gateways are embedded links.

use serde_json::Value;

use super::*;
use crate::control::{self, Command as Ctl};
use crate::protocol::ServiceName;
use crate::runtime::{HandlerEndpoints, HandlerService};

/// A Mongrel2-style handler driven by the test.
struct Handler {
    pull: AsyncSocket,
    publisher: AsyncSocket,
}

impl Handler {
    /// Connects like a Mongrel2 handler and waits until the broker's SUB has subscribed, so no reply is
    /// lost to ZeroMQ's slow-joiner effect. The publisher is an XPUB: on the wire it is a PUB, and it
    /// shows the test the subscription arriving.
    async fn connect(ctx: &zmq::Context, endpoints: &HandlerEndpoints) -> Handler {
        let publisher = ctx.socket(zmq::XPUB).unwrap();
        publisher.set_linger(0).unwrap();
        publisher.connect(&endpoints.recv).unwrap();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.set_linger(0).unwrap();
        pull.connect(&endpoints.send).unwrap();
        let mut publisher = AsyncSocket::new(publisher).unwrap();
        let subscription = timeout(DEADLINE, publisher.recv())
            .await
            .expect("the broker's SUB never subscribed")
            .unwrap();
        assert_eq!(&subscription[..], b"\x01", "subscribed to everything");
        Handler {
            pull: AsyncSocket::new(pull).unwrap(),
            publisher,
        }
    }

    /// The next frame the broker pushed.
    async fn recv(&mut self) -> Bytes {
        let frame = timeout(DEADLINE, self.pull.recv())
            .await
            .expect("handler got nothing")
            .unwrap();
        Bytes::copy_from_slice(&frame)
    }

    /// Publishes the reply to a request payload, as a Mongrel2 handler does.
    fn reply(&self, payload: &[u8], body: &str) {
        self.publisher.try_send(&reply_to(payload, body)).unwrap();
    }
}

fn handler_settings(dir: &TempDir, max_outstanding: u32) -> Settings {
    let m2 = HandlerService::new(
        "m2",
        ipc(dir, "m2-send"),
        ipc(dir, "m2-recv"),
        max_outstanding,
    );
    Settings {
        control: Some(ipc(dir, "control")),
        handlers: vec![m2],
        ..settings(dir)
    }
}

fn submit_within(request: u64, conn: u32, deadline: Duration) -> ToBroker {
    ToBroker::Submit {
        request,
        service: ServiceName::new(b"m2").unwrap(),
        payload: payload("gw-1", conn),
        deadline,
        idempotent: true,
    }
}

/// Queries the control socket until the `m2` service's queue depth and outstanding requests are as
/// expected.
async fn wait_for_m2(endpoint: &str, queued: u64, outstanding: u64) {
    let give_up = tokio::time::Instant::now() + DEADLINE;
    loop {
        let ask = endpoint.to_owned();
        let status: Value = tokio::task::spawn_blocking(move || control::query(&ask, &Ctl::Status))
            .await
            .unwrap()
            .unwrap();
        let service = status["services"].as_array().and_then(|s| {
            s.iter()
                .find(|s| s["name"] == "m2")
                .map(|s| s["queue_depth"].as_u64())
        });
        let pseudo = status["workers"].as_array().and_then(|w| {
            w.iter()
                .find(|w| w["identity"] == "handlers:m2")
                .map(|w| w["in_flight"].as_u64())
        });
        if (service, pseudo) == (Some(Some(queued)), Some(Some(outstanding))) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < give_up,
            "m2 never had {queued} queued and {outstanding} outstanding: {status}"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_mongrel2_handler_behind_a_service_answers_a_request_from_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let (broker, links) = Running::start(handler_settings(&dir, 4), &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let mut handler = Handler::connect(&ctx, &broker.endpoints.handlers[0]).await;
    tx.send(submit(1, "m2", payload("gw-1", 5))).await.unwrap();
    let got = handler.recv().await;
    assert_eq!(got, payload("gw-1", 5), "the bare Mongrel2 request message");
    handler.reply(&got, "HTTP/1.1 200 OK\r\n\r\nhi");
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Reply(Bytes::from_static(b"gw-1 1:5, HTTP/1.1 200 OK\r\n\r\nhi"))
    );
    broker.stop().await;
}

#[tokio::test]
async fn with_no_handler_a_request_gets_503_at_its_deadline_and_never_reaches_a_later_handler() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let (broker, links) = Running::start(handler_settings(&dir, 4), &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    tx.send(submit_within(1, 1, Duration::from_millis(200)))
        .await
        .unwrap();
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Fail {
            request: 1,
            status: 503,
            retry_after: Duration::from_secs(1),
            reason: "no-worker".to_owned()
        }
    );
    let mut handler = Handler::connect(&ctx, &broker.endpoints.handlers[0]).await;
    tx.send(submit(2, "m2", payload("gw-1", 2))).await.unwrap();
    assert_eq!(
        handler.recv().await,
        payload("gw-1", 2),
        "the expired request was never pushed"
    );
    broker.stop().await;
}

#[tokio::test]
async fn a_request_waits_queued_for_a_handler_that_connects_before_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let (broker, links) = Running::start(handler_settings(&dir, 4), &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    tx.send(submit(1, "m2", payload("gw-1", 1))).await.unwrap();
    let control = broker.endpoints.control.clone().unwrap();
    wait_for_m2(&control, 1, 0).await;
    let mut handler = Handler::connect(&ctx, &broker.endpoints.handlers[0]).await;
    let got = handler.recv().await;
    assert_eq!(got, payload("gw-1", 1));
    handler.reply(&got, "late but fine");
    assert!(matches!(next(&mut rx).await, FromBroker::Reply(_)));
    broker.stop().await;
}

#[tokio::test]
async fn outstanding_requests_never_exceed_max_outstanding() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let (broker, links) = Running::start(handler_settings(&dir, 2), &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let mut handler = Handler::connect(&ctx, &broker.endpoints.handlers[0]).await;
    for n in 1..=5 {
        tx.send(submit(n, "m2", payload("gw-1", n as u32)))
            .await
            .unwrap();
    }
    let control = broker.endpoints.control.clone().unwrap();
    let mut held = vec![handler.recv().await, handler.recv().await];
    wait_for_m2(&control, 3, 2).await;
    for n in 3..=5 {
        let answered = held.remove(0);
        handler.reply(&answered, "ok");
        assert_eq!(
            next(&mut rx).await,
            FromBroker::Reply(reply_to(&answered, "ok"))
        );
        let got = handler.recv().await;
        assert_eq!(got, payload("gw-1", n), "one in for each one answered");
        held.push(got);
        wait_for_m2(&control, 5 - u64::from(n), 2).await;
    }
    for answered in held {
        handler.reply(&answered, "ok");
        assert_eq!(
            next(&mut rx).await,
            FromBroker::Reply(reply_to(&answered, "ok"))
        );
    }
    wait_for_m2(&control, 0, 0).await;
    broker.stop().await;
}

#[tokio::test]
async fn a_silent_handler_makes_a_504_and_gets_the_disconnect_notice() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let (broker, links) = Running::start(handler_settings(&dir, 1), &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let mut handler = Handler::connect(&ctx, &broker.endpoints.handlers[0]).await;
    tx.send(submit_within(1, 9, Duration::from_millis(200)))
        .await
        .unwrap();
    assert_eq!(handler.recv().await, payload("gw-1", 9));
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Fail {
            request: 1,
            status: 504,
            retry_after: Duration::ZERO,
            reason: "reply-timeout".to_owned()
        }
    );
    assert_eq!(
        handler.recv().await,
        Bytes::from_static(br#"gw-1 9 @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},"#)
    );
    tx.send(submit(2, "m2", payload("gw-1", 10))).await.unwrap();
    assert_eq!(
        handler.recv().await,
        payload("gw-1", 10),
        "the slot was released at the deadline"
    );
    broker.stop().await;
}

#[tokio::test]
async fn two_handlers_share_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let (broker, links) = Running::start(handler_settings(&dir, 10), &["gw-1"]).await;
    let (tx, mut rx) = links.into_iter().next().unwrap().split();
    expect_up(&mut rx).await;
    let endpoints = &broker.endpoints.handlers[0];
    let mut handlers = [
        Handler::connect(&ctx, endpoints).await,
        Handler::connect(&ctx, endpoints).await,
    ];
    // Until both handlers' connections are attached to the PUSH, one may get everything: send one
    // request at a time until each has had one.
    let mut seen = [false, false];
    let mut conn = 0;
    while seen != [true, true] {
        conn += 1;
        tx.send(submit(u64::from(conn), "m2", payload("gw-1", conn)))
            .await
            .unwrap();
        let [first, second] = &mut handlers;
        let (index, got) = tokio::select! {
            got = first.recv() => (0, got),
            got = second.recv() => (1, got),
        };
        seen[index] = true;
        handlers[index].reply(&got, "ok");
        assert!(matches!(next(&mut rx).await, FromBroker::Reply(_)));
    }
    for n in 1..=10 {
        let conn = conn + n;
        tx.send(submit(u64::from(conn), "m2", payload("gw-1", conn)))
            .await
            .unwrap();
    }
    for handler in &mut handlers {
        for _ in 0..5 {
            let got = handler.recv().await;
            handler.reply(&got, "ok");
        }
    }
    for _ in 0..10 {
        assert!(matches!(next(&mut rx).await, FromBroker::Reply(_)));
    }
    broker.stop().await;
}

#[tokio::test]
async fn handler_services_are_checked_before_anything_is_bound() {
    let dir = tempfile::tempdir().unwrap();
    let error = Broker::bind(handler_settings(&dir, 0)).await.unwrap_err();
    assert!(
        matches!(&error, Error::Handler(crate::engine::HandlerError::MaxOutstanding { service, .. }) if service == "m2"),
        "{error:?}"
    );
    assert!(!dir.path().join("workers").exists(), "nothing was bound");
    let mut settings = handler_settings(&dir, 1);
    settings.handlers[0].send_spec = "nonsense://x".to_owned();
    let error = Broker::bind(settings).await.unwrap_err();
    assert!(
        matches!(&error, Error::HandlerSocket { service, role: "send_spec", .. } if service == "m2"),
        "{error:?}"
    );
}
