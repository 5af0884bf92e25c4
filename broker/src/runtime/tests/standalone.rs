//! Standalone gateways: links speaking S0G/1 over the gateway ROUTER, sharing the broker with embedded
//! ones, and surviving broker restarts.

use super::*;
use crate::link::{self, LinkSettings};
use crate::runtime::Transport;

fn link_settings() -> LinkSettings {
    LinkSettings {
        heartbeat_interval: INTERVAL,
        liveness: 5,
        ..LinkSettings::default()
    }
}

fn with_gateways(dir: &TempDir, gateways: &str) -> Settings {
    Settings {
        gateways: Some(gateways.to_owned()),
        ..settings(dir)
    }
}

/// A link over tcp gets its reply through the gateway ROUTER, with the broker's sockets and the link's
/// DEALER on `broker` and `gateway` transports (each side must talk to the other either way).
async fn reply_over_tcp(broker: Transport, gateway: Transport) {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let settings = Settings {
        transport: broker,
        ..with_gateways(&dir, "tcp://127.0.0.1:*")
    };
    let (broker, _) = Running::start(settings, &[]).await;
    let endpoint = broker.endpoints.gateways.clone().unwrap();
    assert!(endpoint.starts_with("tcp://127.0.0.1:") && !endpoint.ends_with('*'));
    let settings = LinkSettings {
        transport: gateway,
        ..link_settings()
    };
    let link = link::connect(&endpoint, "gw-tcp", settings).await.unwrap();
    let (tx, mut rx) = link.split();
    expect_up(&mut rx).await;
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 1).await;
    tx.send(submit(42, "echo", payload("gw-tcp", 3)))
        .await
        .unwrap();
    let (request, got) = worker.request().await;
    assert_eq!(got, payload("gw-tcp", 3));
    worker.answer(request, &got, "over tcp");
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Reply(reply_to(&got, "over tcp"))
    );
    broker.stop().await;
}

#[tokio::test]
async fn a_standalone_link_over_tcp_gets_its_reply_through_the_gateway_router() {
    reply_over_tcp(Transport::Native, Transport::Native).await;
}

#[tokio::test]
async fn native_and_libzmq_sockets_talk_to_each_other_either_way_round() {
    reply_over_tcp(Transport::Libzmq, Transport::Libzmq).await;
    reply_over_tcp(Transport::Native, Transport::Libzmq).await;
    reply_over_tcp(Transport::Libzmq, Transport::Native).await;
}

#[tokio::test]
async fn gateways_sharing_a_broker_each_get_only_their_own_replies() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let settings = with_gateways(&dir, &ipc(&dir, "gateways"));
    let (broker, links) = Running::start(settings, &["gw-in"]).await;
    let endpoint = broker.endpoints.gateways.clone().unwrap();
    let (tx_in, mut rx_in) = links.into_iter().next().unwrap().split();
    let (tx_a, mut rx_a) = link::connect(&endpoint, "gw-a", link_settings())
        .await
        .unwrap()
        .split();
    let (tx_b, mut rx_b) = link::connect(&endpoint, "gw-b", link_settings())
        .await
        .unwrap()
        .split();
    for rx in [&mut rx_in, &mut rx_a, &mut rx_b] {
        expect_up(rx).await;
    }
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 3).await;
    for (tx, sender) in [(&tx_in, "gw-in"), (&tx_a, "gw-a"), (&tx_b, "gw-b")] {
        tx.send(submit(1, "echo", payload(sender, 1)))
            .await
            .unwrap();
    }
    for _ in 0..3 {
        let (request, got) = worker.request().await;
        worker.answer(request, &got, "mine");
    }
    for (rx, sender) in [
        (&mut rx_in, "gw-in"),
        (&mut rx_a, "gw-a"),
        (&mut rx_b, "gw-b"),
    ] {
        let expected = FromBroker::Reply(reply_to(&payload(sender, 1), "mine"));
        assert_eq!(next(rx).await, expected, "{sender}");
        assert!(rx.try_recv().is_err(), "{sender} got someone else's reply");
    }
    broker.stop().await;
}

/// Two requests held by a worker when the broker is killed, on a link with `settings`: `Down`, FAIL 502
/// `broker-lost` for the POST-like one; the idempotent one is parked. The broker started again brings
/// `Up`, gets the idempotent request again and serves it, then serves a new one; the other never
/// reaches it.
async fn crash_then_restart(settings: LinkSettings) {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let gateways = ipc(&dir, "gateways");
    let (broker, _) = Running::start(with_gateways(&dir, &gateways), &[]).await;
    let (tx, mut rx) = link::connect(&gateways, "gw-1", settings)
        .await
        .unwrap()
        .split();
    expect_up(&mut rx).await;
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 2).await;
    tx.send(submit(1, "echo", payload("gw-1", 1)))
        .await
        .unwrap();
    tx.send(not_idempotent(submit(3, "echo", payload("gw-1", 3))))
        .await
        .unwrap();
    worker.request().await;
    worker.request().await;
    broker.task.abort();
    assert!(broker.task.await.unwrap_err().is_cancelled());
    assert_eq!(next(&mut rx).await, FromBroker::Down);
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Fail {
            request: 3,
            status: 502,
            retry_after: Duration::ZERO,
            reason: link::REASON_BROKER_LOST.into()
        }
    );
    let (restarted, _) = Running::start(with_gateways(&dir, &gateways), &[]).await;
    expect_up(&mut rx).await;
    let mut worker =
        FakeWorker::ready(&ctx, &restarted.endpoints.workers, "w-2", &["echo"], 1).await;
    let (request, got) = worker.request().await;
    assert_eq!(got, payload("gw-1", 1), "the idempotent request, again");
    worker.answer(request, &got, "after all");
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Reply(reply_to(&got, "after all"))
    );
    tx.send(submit(2, "echo", payload("gw-1", 2)))
        .await
        .unwrap();
    let (request, got) = worker.request().await;
    assert_eq!(
        got,
        payload("gw-1", 2),
        "the new request; request 3 never came"
    );
    worker.answer(request, &got, "again");
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Reply(reply_to(&got, "again"))
    );
    restarted.stop().await;
}

/// `submit` for a method that is not idempotent.
fn not_idempotent(submit: ToBroker) -> ToBroker {
    match submit {
        ToBroker::Submit {
            request,
            service,
            payload,
            deadline,
            ..
        } => ToBroker::Submit {
            request,
            service,
            payload,
            deadline,
            idempotent: false,
        },
        other => other,
    }
}

#[tokio::test]
async fn a_broker_crash_is_seen_as_down_with_its_requests_failed_and_a_restart_as_up() {
    // libzmq does not tell the link that its connection dropped: the broker's silence does.
    let settings = LinkSettings {
        transport: Transport::Libzmq,
        ..link_settings()
    };
    crash_then_restart(settings).await;
}

#[tokio::test]
async fn a_dropped_connection_fails_the_requests_at_once_not_after_the_silence() {
    // Silence alone would take 100 s to notice: far past the waits of `crash_then_restart`.
    let settings = LinkSettings {
        liveness: 1000,
        ..link_settings()
    };
    crash_then_restart(settings).await;
}

#[tokio::test]
async fn a_broker_stopping_fails_held_requests_then_says_disconnect() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let gateways = ipc(&dir, "gateways");
    let (broker, _) = Running::start(with_gateways(&dir, &gateways), &[]).await;
    let (tx, mut rx) = link::connect(&gateways, "gw-1", link_settings())
        .await
        .unwrap()
        .split();
    expect_up(&mut rx).await;
    let mut worker = FakeWorker::ready(&ctx, &broker.endpoints.workers, "w-1", &["echo"], 1).await;
    tx.send(submit(1, "echo", payload("gw-1", 1)))
        .await
        .unwrap();
    worker.request().await;
    broker.stop().await;
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Fail {
            request: 1,
            status: 502,
            retry_after: Duration::ZERO,
            reason: "worker-lost".into()
        }
    );
    assert_eq!(next(&mut rx).await, FromBroker::Down);
}
