//! Real libzmq sockets over ipc:// (in a temp dir) and tcp://127.0.0.1:*.

use std::time::Duration;

use tempfile::TempDir;
use tokio::time::timeout;

use super::*;

/// Upper bound for anything a test waits on; a hang fails with a message instead of stalling.
const DEADLINE: Duration = Duration::from_secs(30);

fn ipc(dir: &TempDir, name: &str) -> String {
    format!("ipc://{}/{name}", dir.path().display())
}

async fn recv_within(socket: &mut AsyncSocket, what: &str) -> zmq::Message {
    match timeout(DEADLINE, socket.recv()).await {
        Ok(received) => received.unwrap(),
        Err(_) => panic!("no {what} within {DEADLINE:?}"),
    }
}

#[test]
fn links_debian_libzmq_with_curve() {
    assert_eq!(
        zmq::has("curve"),
        Some(true),
        "libzmq without CURVE: zmq-sys built its own copy"
    );
}

#[test]
fn hwm_is_never_unbounded() {
    assert_eq!(Hwm::new(0), None);
    assert_eq!(Hwm::new(u32::MAX), None);
    assert_eq!(Hwm::new(5).map(Hwm::get), Some(5));
}

#[test]
fn opening_outside_a_runtime_is_an_error_not_a_panic() {
    let ctx = zmq::Context::new();
    let result = pull_connect(&ctx, "tcp://127.0.0.1:9", Hwm::DEFAULT);
    assert!(matches!(result, Err(Error::NoRuntime)));
}

#[tokio::test]
async fn bad_endpoints_name_the_endpoint() {
    let ctx = zmq::Context::new();
    let error = push_bind(&ctx, "nonsense://x", b"", Hwm::DEFAULT).unwrap_err();
    assert!(
        matches!(&error, Error::Endpoint { op: "bind", endpoint, .. } if endpoint == "nonsense://x")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_to_pull_round_trips_100k_messages_in_order_over_ipc() {
    const COUNT: u32 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let spec = ipc(&dir, "requests");
    let mut push = push_bind(&ctx, &spec, b"gateway-1", Hwm::DEFAULT).unwrap();
    let mut pull = pull_connect(&ctx, &spec, Hwm::DEFAULT).unwrap();
    let sender = tokio::spawn(async move {
        for n in 0..COUNT {
            push.send(&n.to_be_bytes()).await?;
        }
        Ok::<_, Error>(push)
    });
    for n in 0..COUNT {
        let message = recv_within(&mut pull, "pushed message").await;
        assert_eq!(&message[..], n.to_be_bytes(), "message {n} out of order");
    }
    sender.await.unwrap().unwrap();
}

#[tokio::test]
async fn sub_receives_only_its_prefix_over_tcp() {
    let ctx = zmq::Context::new();
    let mut sub = sub_bind(&ctx, "tcp://127.0.0.1:*", b"UUID-A ", Hwm::DEFAULT).unwrap();
    let endpoint = sub.last_endpoint().unwrap();
    assert!(
        endpoint.starts_with("tcp://127.0.0.1:") && !endpoint.ends_with(":*"),
        "{endpoint}"
    );
    let mut publisher = pub_connect(&ctx, &endpoint, Hwm::DEFAULT).unwrap();
    // The subscription reaches a connecting PUB asynchronously: probe until one gets through.
    let probed = timeout(DEADLINE, async {
        loop {
            publisher.send(b"UUID-A probe").await.unwrap();
            if let Ok(received) = timeout(Duration::from_millis(20), sub.recv()).await {
                return received.unwrap();
            }
        }
    });
    assert_eq!(
        &probed.await.expect("subscription never took effect")[..],
        b"UUID-A probe"
    );
    for i in 0..10 {
        publisher
            .send(format!("UUID-B {i}").as_bytes())
            .await
            .unwrap();
        publisher
            .send(format!("UUID-A {i}").as_bytes())
            .await
            .unwrap();
    }
    publisher.send(b"UUID-A end").await.unwrap();
    let mut got = Vec::new();
    loop {
        let message = recv_within(&mut sub, "published message").await;
        match &message[..] {
            b"UUID-A probe" => continue,
            b"UUID-A end" => break,
            other => got.push(String::from_utf8_lossy(other).into_owned()),
        }
    }
    let expected: Vec<String> = (0..10).map(|i| format!("UUID-A {i}")).collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn push_without_peers_would_block_then_sends_once_one_connects() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let spec = ipc(&dir, "lonely");
    let mut push = push_bind(&ctx, &spec, b"", Hwm::DEFAULT).unwrap();
    assert!(matches!(push.try_send(b"shed me"), Err(Error::WouldBlock)));
    let send = push.send(b"queued");
    tokio::pin!(send);
    let early = timeout(Duration::from_millis(50), &mut send).await;
    assert!(
        early.is_err(),
        "a send with no peer must wait, got {early:?}"
    );
    let mut pull = pull_connect(&ctx, &spec, Hwm::DEFAULT).unwrap();
    timeout(DEADLINE, &mut send)
        .await
        .expect("send never completed")
        .unwrap();
    assert_eq!(
        &recv_within(&mut pull, "queued message").await[..],
        b"queued"
    );
}

#[tokio::test]
async fn recv_cancelled_by_select_loses_no_message() {
    const COUNT: u32 = 2_000;
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let spec = ipc(&dir, "cancel");
    let mut push = push_bind(&ctx, &spec, b"", Hwm::DEFAULT).unwrap();
    let mut pull = pull_connect(&ctx, &spec, Hwm::DEFAULT).unwrap();
    let mut timeouts = 0u32;
    // Nothing is sent yet, so this recv is cancelled while it waits on the fd.
    tokio::select! {
        received = pull.recv() => panic!("nothing was sent, got {received:?}"),
        () = tokio::time::sleep(Duration::from_millis(5)) => timeouts += 1,
    }
    let sender = tokio::spawn(async move {
        for n in 0..COUNT {
            push.send(&n.to_be_bytes()).await?;
            if n % 100 == 0 {
                tokio::task::yield_now().await;
            }
        }
        Ok::<_, Error>(push)
    });
    let mut next = 0u32;
    let receiving = timeout(DEADLINE, async {
        while next < COUNT {
            tokio::select! {
                received = pull.recv() => {
                    assert_eq!(&received.unwrap()[..], next.to_be_bytes(), "lost or reordered");
                    next += 1;
                }
                () = tokio::time::sleep(Duration::from_millis(1)) => timeouts += 1,
            }
        }
    });
    receiving
        .await
        .unwrap_or_else(|_| panic!("stuck after {next} messages"));
    assert!(timeouts > 0);
    sender.await.unwrap().unwrap();
}

#[tokio::test]
async fn recv_multipart_caps_frames_and_discards_the_whole_oversized_message() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let spec = ipc(&dir, "multipart");
    let raw = ctx.socket(zmq::PUSH).unwrap();
    raw.set_linger(LINGER_MS).unwrap();
    raw.bind(&spec).unwrap();
    let mut pull = pull_connect(&ctx, &spec, Hwm::DEFAULT).unwrap();
    raw.send_multipart([&b"a"[..], b"b", b"c"], 0).unwrap();
    raw.send_multipart([&b"d"[..], b"e"], 0).unwrap();
    let oversized = timeout(DEADLINE, pull.recv_multipart(2)).await.unwrap();
    assert!(matches!(oversized, Err(Error::TooManyFrames { limit: 2 })));
    let frames = timeout(DEADLINE, pull.recv_multipart(2))
        .await
        .unwrap()
        .unwrap();
    let frames: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
    assert_eq!(frames, [b"d", b"e"]);
}

#[tokio::test]
async fn one_task_sends_and_receives_on_a_dealer_with_ready() {
    const COUNT: u32 = 5_000;
    let dir = tempfile::tempdir().unwrap();
    let ctx = zmq::Context::new();
    let spec = ipc(&dir, "duplex");
    let small = Hwm::new(10).unwrap();
    let echo = ctx.socket(zmq::DEALER).unwrap();
    echo.set_sndhwm(small.get()).unwrap();
    echo.set_rcvhwm(small.get()).unwrap();
    echo.bind(&spec).unwrap();
    let mut echo = AsyncSocket::new(echo).unwrap();
    let client = ctx.socket(zmq::DEALER).unwrap();
    client.set_sndhwm(small.get()).unwrap();
    client.set_rcvhwm(small.get()).unwrap();
    client.connect(&spec).unwrap();
    let mut client = AsyncSocket::new(client).unwrap();
    let echoing = tokio::spawn(async move {
        for _ in 0..COUNT {
            let message = echo.recv().await?;
            echo.send(&message).await?;
        }
        Ok::<_, Error>(echo)
    });
    let (mut sent, mut received) = (0u32, 0u32);
    let duplex = timeout(DEADLINE, async {
        while received < COUNT {
            let want = if sent < COUNT {
                zmq::POLLIN | zmq::POLLOUT
            } else {
                zmq::POLLIN
            };
            let ready = client.ready(want).await.unwrap();
            if ready.contains(zmq::POLLOUT) && sent < COUNT {
                match client.try_send(&sent.to_be_bytes()) {
                    Ok(()) => sent += 1,
                    Err(Error::WouldBlock) => {}
                    Err(other) => panic!("send failed: {other}"),
                }
            }
            loop {
                match client.try_recv() {
                    Ok(message) => {
                        assert_eq!(&message[..], received.to_be_bytes());
                        received += 1;
                    }
                    Err(Error::WouldBlock) => break,
                    Err(other) => panic!("recv failed: {other}"),
                }
            }
        }
    });
    duplex
        .await
        .unwrap_or_else(|_| panic!("stuck at sent {sent}, received {received}"));
    echoing.await.unwrap().unwrap();
}
