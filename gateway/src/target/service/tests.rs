//! The service targets' routes with a fake link (the test reads the link's
//! channel and calls the sink itself), and with a real embedded broker.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use scale0_broker::link::{Deliver, Delivery, FromBroker, ToBroker};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Handle, Routes, Settings, Shared};
use crate::target::{Registration, SendError, SendInfo, ToConn};

const DEADLINE: Duration = Duration::from_secs(10);

fn settings() -> Settings {
    Settings {
        name: "api".into(),
        service: scale0_broker::protocol::ServiceName::new(b"echo").unwrap(),
        sender_id: "gw-1".into(),
    }
}

/// Routes over a link channel of `queue` submits the test reads.
fn fake_link(queue: usize) -> (Arc<Routes>, Handle, mpsc::Receiver<ToBroker>) {
    let routes = Routes::new();
    let (tx, rx) = mpsc::channel(queue);
    let tracker = TaskTracker::new();
    let shared = Shared::start(routes.clone(), tx, None, &tracker, CancellationToken::new());
    (routes, shared.target(0, settings()), rx)
}

/// A registered connection with a reply queue of `capacity`.
async fn conn(
    handle: &Handle,
    conn_id: u64,
    capacity: usize,
) -> (mpsc::Receiver<ToConn>, CancellationToken) {
    let (tx, rx) = mpsc::channel(capacity);
    let close = CancellationToken::new();
    let registration = Registration {
        replies: tx,
        close: close.clone(),
        output: crate::flow::Output::new(),
    };
    assert!(handle.register(conn_id, registration).await);
    (rx, close)
}

async fn submit(handle: &Handle, conn_id: u64) -> Result<(), SendError> {
    let frame = format!("gw-1 {conn_id} /p 2:{{}},0:,").into_bytes();
    let deadline = Instant::now() + Duration::from_secs(5);
    let info = SendInfo { idempotent: true };
    let ticket = handle.submit(conn_id, frame, deadline, info).await?;
    ticket.await.map_err(|_| SendError::Overloaded)
}

/// The id of the next SUBMIT on the link.
fn submitted(rx: &mut mpsc::Receiver<ToBroker>) -> u64 {
    match rx.try_recv() {
        Ok(ToBroker::Submit { request, .. }) => request,
        other => panic!("expected a SUBMIT, got {other:?}"),
    }
}

#[tokio::test]
async fn replies_handed_to_the_sink_reach_the_right_connection() {
    let (routes, handle, mut link) = fake_link(8);
    let (mut one, _) = conn(&handle, 1, 4).await;
    let (mut two, _) = conn(&handle, 2, 4).await;
    submit(&handle, 1).await.unwrap();
    submit(&handle, 2).await.unwrap();
    match link.try_recv() {
        Ok(ToBroker::Submit {
            request,
            service,
            payload,
            idempotent,
            ..
        }) => {
            assert_eq!((request, service.as_str(), idempotent), (1, "echo", true));
            assert_eq!(payload, Bytes::from_static(b"gw-1 1 /p 2:{},0:,"));
        }
        other => panic!("expected a SUBMIT, got {other:?}"),
    }
    assert_eq!(submitted(&mut link), 2);
    let reply = Bytes::from_static(b"gw-1 1:2, HTTP/1.1 200 OK\r\n\r\nhi");
    assert_eq!(routes.deliver(FromBroker::Reply(reply)), Delivery::Taken);
    match two.try_recv() {
        Ok(ToConn::Data(data)) => assert_eq!(&data[..], b"HTTP/1.1 200 OK\r\n\r\nhi"),
        other => panic!("expected data for conn 2, got {other:?}"),
    }
    assert!(one.try_recv().is_err(), "conn 1 gets nothing");
}

#[tokio::test]
async fn a_fail_reaches_the_connection_of_its_request_once() {
    let (routes, handle, mut link) = fake_link(8);
    let (mut rx, close) = conn(&handle, 5, 4).await;
    submit(&handle, 5).await.unwrap();
    let request = submitted(&mut link);
    let fail = FromBroker::Fail {
        request,
        status: 503,
        retry_after: Duration::from_secs(1),
        reason: "no-worker".into(),
    };
    assert_eq!(routes.deliver(fail.clone()), Delivery::Taken);
    match rx.try_recv() {
        Ok(ToConn::Fail {
            status,
            retry_after,
        }) => assert_eq!((status, retry_after), (503, Duration::from_secs(1))),
        other => panic!("expected a FAIL, got {other:?}"),
    }
    assert!(close.is_cancelled());
    assert_eq!(routes.deliver(fail), Delivery::Taken, "a late FAIL");
    assert!(rx.try_recv().is_err(), "is ignored");
    for message in [FromBroker::Down, FromBroker::Up] {
        assert_eq!(routes.deliver(message), Delivery::Taken);
    }
}

#[tokio::test]
async fn a_full_connection_queue_drops_that_connection_counted_without_waiting() {
    let (routes, handle, _link) = fake_link(8);
    let (_slow, close) = conn(&handle, 3, 1).await;
    let (mut fast, _) = conn(&handle, 4, 8).await;
    for chunk in ["a", "b", "c"] {
        let reply = Bytes::from(format!("gw-1 3:3 4, {chunk}"));
        assert_eq!(routes.deliver(FromBroker::Reply(reply)), Delivery::Taken);
    }
    assert!(close.is_cancelled(), "the slow connection is dropped");
    assert_eq!(routes.slow_drops(), 1);
    for _ in 0..3 {
        assert!(matches!(fast.try_recv(), Ok(ToConn::Data(_))));
    }
}

#[tokio::test]
async fn a_full_link_sheds_and_unregistering_cancels_the_request() {
    let (_routes, handle, mut link) = fake_link(1);
    let _conns = (conn(&handle, 1, 4).await, conn(&handle, 2, 4).await);
    submit(&handle, 1).await.unwrap();
    assert_eq!(submit(&handle, 2).await, Err(SendError::Overloaded));
    let request = submitted(&mut link);
    assert!(handle.unregister(1, true));
    assert!(matches!(link.try_recv(), Ok(ToBroker::Cancel { request: r }) if r == request));
    assert!(handle.unregister(2, true));
    assert!(link.try_recv().is_err(), "conn 2 had nothing in flight");
    drop(link);
    assert_eq!(submit(&handle, 2).await, Err(SendError::Stopped));
}

#[tokio::test]
async fn a_stopping_embedded_broker_fails_the_outstanding_request_through_the_sink() {
    let dir = tempfile::tempdir().unwrap();
    let workers = format!("ipc://{}/workers", dir.path().display());
    let mut broker_settings = scale0_broker::runtime::Settings::new(workers);
    broker_settings.drain_grace = Duration::ZERO;
    let mut broker = scale0_broker::runtime::Broker::bind(broker_settings)
        .await
        .unwrap();
    let routes = Routes::new();
    let link = broker.embedded_link_to("gw-1", 16, routes.clone());
    let (to_broker, task) = link.into_parts();
    let (tracker, shutdown) = (TaskTracker::new(), CancellationToken::new());
    let shared = Shared::start(routes, to_broker, task, &tracker, shutdown.clone());
    let handle = shared.target(0, settings());
    let (mut rx, _close) = conn(&handle, 9, 4).await;
    let stop = CancellationToken::new();
    let running = tokio::spawn(broker.run(stop.clone()));
    submit(&handle, 9).await.unwrap();
    stop.cancel();
    let got = timeout(DEADLINE, rx.recv()).await.expect("no FAIL");
    assert!(
        matches!(got, Some(ToConn::Fail { status: 503, .. })),
        "a queued request is failed 503: {got:?}"
    );
    timeout(DEADLINE, running).await.unwrap().unwrap().unwrap();
    shutdown.cancel();
    tracker.close();
    timeout(DEADLINE, tracker.wait()).await.unwrap();
}
