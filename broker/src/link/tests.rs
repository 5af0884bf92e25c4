//! The standalone link against a ROUTER the test drives as the broker, through the gateway-protocol codec. Waits
//! are for events with deadlines; the no-broker case runs on paused time.

use std::time::Duration;

use bytes::Bytes;
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio::time::timeout;

use super::*;
use crate::protocol::gateway::{self, Command, FailReason, FailStatus};
use crate::protocol::{ServiceName, Version};
use crate::runtime::sockets::MAX_FRAMES;
use crate::zmq_async::AsyncSocket;

mod sink;
mod versions;

const DEADLINE: Duration = Duration::from_secs(10);

fn settings() -> LinkSettings {
    LinkSettings {
        heartbeat_interval: Duration::from_millis(50),
        liveness: 4,
        ..LinkSettings::default()
    }
}

fn ipc(dir: &TempDir) -> String {
    format!("ipc://{}/gateways", dir.path().display())
}

fn payload(conn: u32) -> Bytes {
    Bytes::from(format!("gw-1 {conn} /p 2:{{}},0:,"))
}

fn submit(request: u64) -> ToBroker {
    ToBroker::Submit {
        request,
        service: ServiceName::new(b"echo").unwrap(),
        payload: payload(1),
        deadline: Duration::from_secs(5),
        idempotent: false,
    }
}

/// A ROUTER playing the broker.
struct FakeBroker {
    socket: AsyncSocket,
}

impl FakeBroker {
    fn bind(ctx: &zmq::Context, endpoint: &str) -> Self {
        let socket = ctx.socket(zmq::ROUTER).unwrap();
        socket.set_linger(0).unwrap();
        socket.set_router_handover(true).unwrap();
        socket.bind(endpoint).unwrap();
        FakeBroker {
            socket: AsyncSocket::new(socket).unwrap(),
        }
    }

    async fn recv(&mut self) -> Command {
        self.recv_versioned().await.1
    }

    /// The link's next message and the version it was framed in.
    async fn recv_versioned(&mut self) -> (Version, Command) {
        let frames = loop {
            let frames = timeout(DEADLINE, self.socket.recv_multipart(MAX_FRAMES))
                .await
                .expect("the link sent nothing")
                .unwrap();
            // What a socket the link replaced still had in flight: on handover libzmq renames the old
            // connection with an id of its own, which starts with a zero byte (a sender id cannot).
            if frames[0].first() != Some(&0) {
                break frames;
            }
        };
        assert_eq!(&frames[0][..], b"gw-1", "routing identity = sender id");
        let frames: Vec<&[u8]> = frames[1..].iter().map(|f| &f[..]).collect();
        gateway::decode_versioned(&frames).unwrap()
    }

    /// Waits for the link's next HEARTBEAT, skipping nothing else.
    async fn heartbeat_from_link(&mut self) {
        assert_eq!(self.recv().await, Command::Heartbeat);
    }

    fn send(&self, command: &Command) {
        self.send_in(command, Version::V1);
    }

    fn send_in(&self, command: &Command, version: Version) {
        let mut frames = vec![Bytes::from_static(b"gw-1")];
        frames.extend(gateway::encode_version(command, version));
        self.socket.try_send_multipart(&frames).unwrap();
    }
}

/// A fake broker on an ipc endpoint in a temp dir and a link connected to it. Bind `_dir` and `_ctx` by
/// name when destructuring: `..` would drop them (and the endpoint's directory) at once.
struct Linked {
    _dir: TempDir,
    _ctx: zmq::Context,
    broker: FakeBroker,
    tx: mpsc::Sender<ToBroker>,
    rx: mpsc::Receiver<FromBroker>,
}

async fn linked() -> Linked {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let broker = FakeBroker::bind(&ctx, &ipc(&dir));
    let (tx, rx) = connect(&ipc(&dir), "gw-1", settings())
        .await
        .unwrap()
        .split();
    Linked {
        _dir: dir,
        _ctx: ctx,
        broker,
        tx,
        rx,
    }
}

/// Answers the link's heartbeats until it reports `Up` (an answer may go to a socket the link is about to
/// replace, and be lost with it).
async fn answer_until_up(broker: &mut FakeBroker, rx: &mut mpsc::Receiver<FromBroker>) {
    loop {
        broker.heartbeat_from_link().await;
        broker.send(&Command::Heartbeat);
        if let Ok(message) = timeout(Duration::from_millis(100), rx.recv()).await {
            assert_eq!(message, Some(FromBroker::Up));
            return;
        }
    }
}

async fn next(rx: &mut mpsc::Receiver<FromBroker>) -> FromBroker {
    timeout(DEADLINE, rx.recv())
        .await
        .expect("the link delivered nothing")
        .expect("link closed")
}

#[tokio::test]
async fn connect_refuses_bad_sender_ids_and_zero_settings() {
    let error = connect("ipc:///nonexistent", "gw 1", settings())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::SenderId { .. }), "{error:?}");
    let zero = LinkSettings {
        queue: 0,
        ..settings()
    };
    let error = connect("ipc:///nonexistent", "gw-1", zero)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Settings { field: "queue" }),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_submit_with_no_broker_fails_at_once_with_503() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = connect(&ipc(&dir), "gw-1", settings())
        .await
        .unwrap()
        .split();
    tx.send(submit(1)).await.unwrap();
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Fail {
            request: 1,
            status: 503,
            retry_after: Duration::from_secs(1),
            reason: REASON_BROKER_UNREACHABLE.into()
        }
    );
}

#[tokio::test]
async fn up_then_down_failing_what_the_silent_broker_took_then_up_again() {
    let Linked {
        _dir,
        _ctx,
        mut broker,
        tx,
        mut rx,
    } = linked().await;
    answer_until_up(&mut broker, &mut rx).await;
    tx.send(submit(7)).await.unwrap();
    let expected = Command::Submit {
        request: 7,
        service: ServiceName::new(b"echo").unwrap(),
        deadline: Some(Duration::from_secs(5)),
        idempotent: false,
        payload: payload(1),
    };
    assert_eq!(next_submit(&mut broker).await, expected);
    // The broker now says nothing for longer than liveness × interval.
    assert_eq!(next(&mut rx).await, FromBroker::Down);
    let lost = FromBroker::Fail {
        request: 7,
        status: 502,
        retry_after: Duration::ZERO,
        reason: REASON_BROKER_LOST.into(),
    };
    assert_eq!(next(&mut rx).await, lost);
    answer_until_up(&mut broker, &mut rx).await;
    let fail = Command::Fail {
        request: 7,
        status: FailStatus::GatewayTimeout,
        retry_after: None,
        reason: FailReason::ReplyTimeout,
    };
    broker.send(&fail);
    match next(&mut rx).await {
        FromBroker::Fail {
            request: 7,
            status: 504,
            ..
        } => {}
        other => panic!("a late FAIL is still delivered (the gateway ignores it), got {other:?}"),
    }
}

/// The link's next SUBMIT, skipping heartbeats.
async fn next_submit(broker: &mut FakeBroker) -> Command {
    next_submit_versioned(broker).await.1
}

/// [`next_submit`] with the version it came in.
async fn next_submit_versioned(broker: &mut FakeBroker) -> (Version, Command) {
    loop {
        match broker.recv_versioned().await {
            (_, Command::Heartbeat) => continue,
            (version, submit @ Command::Submit { .. }) => return (version, submit),
            other => panic!("expected SUBMIT, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn idempotent_requests_wait_for_a_broker_within_their_deadlines() {
    let Linked {
        _dir,
        _ctx,
        mut broker,
        tx,
        mut rx,
    } = linked().await;
    answer_until_up(&mut broker, &mut rx).await;
    let get = |request, deadline| ToBroker::Submit {
        request,
        service: ServiceName::new(b"echo").unwrap(),
        payload: payload(1),
        deadline,
        idempotent: true,
    };
    // 1 will outlive its deadline while the broker is away, 2 the gateway cancels, 3 comes back.
    tx.send(get(1, Duration::from_millis(600))).await.unwrap();
    tx.send(get(2, Duration::from_secs(30))).await.unwrap();
    tx.send(get(3, Duration::from_secs(30))).await.unwrap();
    for expected in 1..=3 {
        let Command::Submit { request, .. } = next_submit(&mut broker).await else {
            unreachable!()
        };
        assert_eq!(request, expected);
    }
    // The broker now says nothing for longer than liveness × interval.
    assert_eq!(next(&mut rx).await, FromBroker::Down);
    tx.send(ToBroker::Cancel { request: 2 }).await.unwrap();
    assert_eq!(
        next(&mut rx).await,
        FromBroker::Fail {
            request: 1,
            status: 502,
            retry_after: Duration::ZERO,
            reason: REASON_BROKER_LOST.into(),
        },
        "at its deadline, the broker still away"
    );
    answer_until_up(&mut broker, &mut rx).await;
    let Command::Submit {
        request,
        deadline,
        idempotent,
        ..
    } = next_submit(&mut broker).await
    else {
        unreachable!()
    };
    assert_eq!(
        (request, idempotent),
        (3, true),
        "only 3 is submitted again"
    );
    assert!(
        deadline.is_some_and(|d| d < Duration::from_secs(30)),
        "with what is left of its deadline: {deadline:?}"
    );
}

#[tokio::test]
async fn dropping_the_sender_says_disconnect_and_ends_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let mut broker = FakeBroker::bind(&ctx, &ipc(&dir));
    let (tx, _rx, task) = connect(&ipc(&dir), "gw-1", settings())
        .await
        .unwrap()
        .into_parts();
    broker.heartbeat_from_link().await;
    drop(tx);
    timeout(DEADLINE, task.unwrap()).await.unwrap().unwrap();
    loop {
        match broker.recv().await {
            Command::Heartbeat => continue,
            command => break assert_eq!(command, Command::Disconnect),
        }
    }
}
