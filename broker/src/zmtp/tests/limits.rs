//! The bounds: frame size, frames per message, and the per-peer queue in each direction.

use super::*;

/// A libzmq DEALER's message within [`Limits::max_frame`] arrives; one a byte over costs it its
/// connection (libzmq's `ZMQ_MAXMSGSIZE`), and it reconnects.
#[tokio::test]
async fn a_frame_over_max_frame_disconnects_the_peer_and_is_never_received() {
    let limits = Limits {
        max_frame: 1024,
        ..ROOMY
    };
    let router = Router::bind(&tcp_any(), limits).unwrap();
    let ctx = zmq::Context::new();
    let peer = zmq_dealer(&ctx, &router, Some(b"big"));
    peer.send(vec![1u8; 1024], 0).unwrap();
    let at_cap = recv(&router, "a frame at the cap").await;
    assert_eq!((&at_cap[0][..], at_cap[1].len()), (&b"big"[..], 1024));
    peer.send(vec![2u8; 1025], 0).unwrap();
    expect_disconnected(&router, b"big").await;
    eventually("libzmq reconnecting after being dropped", || {
        router.accepted() >= 2
    })
    .await;
    peer.send("small", 0).unwrap();
    assert_eq!(
        recv(&router, "the next message").await,
        msg(&[b"big", b"small"])
    );
    assert!(!router.has_input(), "the oversized frame was delivered");
}

#[tokio::test]
async fn a_message_over_max_frames_is_dropped_and_the_next_still_arrives() {
    let limits = Limits {
        max_frames: 3,
        ..ROOMY
    };
    let router = Router::bind(&tcp_any(), limits).unwrap();
    let ctx = zmq::Context::new();
    let peer = zmq_dealer(&ctx, &router, Some(b"many"));
    peer.send_multipart(["1", "2", "3", "4"], 0).unwrap();
    peer.send_multipart(["a", "b", "c"], 0).unwrap();
    let (received, frames) = next(&router, "the verdict on 4 frames").await;
    assert_eq!(received, Received::TooManyFrames);
    assert!(frames.is_empty(), "{frames:?}");
    // The routing identity the ROUTER prepends does not count.
    let at_cap = recv(&router, "3 frames").await;
    assert_eq!(at_cap, msg(&[b"many", b"a", b"b", b"c"]));
}

#[tokio::test]
async fn a_slow_owner_gets_every_message_in_order_under_back_pressure() {
    const COUNT: u32 = 50;
    let limits = Limits { hwm: 2, ..ROOMY };
    let router = Router::bind(&tcp_any(), limits).unwrap();
    let ctx = zmq::Context::new();
    let peer = zmq_dealer(&ctx, &router, Some(b"fast"));
    for seq in 0..COUNT {
        peer.send(&seq.to_be_bytes()[..], 0).unwrap();
    }
    for seq in 0..COUNT {
        let message = recv(&router, "the next message in order").await;
        assert_eq!(message, msg(&[b"fast", &seq.to_be_bytes()]));
        // An owner busy elsewhere: the connection's reader must stop at the mark meanwhile.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(!router.has_input());
}

/// A peer that completed its handshake and then never reads: the kernel's buffers fill, then the
/// peer's queue, then sends are refused, while another peer is still served.
#[tokio::test]
async fn sends_to_a_peer_that_stopped_reading_are_refused_when_its_queue_is_full() {
    let limits = Limits { hwm: 4, ..ROOMY };
    let router = Router::bind(&tcp_any(), limits).unwrap();
    let _stuck = raw_peer(&router, "DEALER", b"stuck").await;
    let big = msg(&[b"stuck", &vec![9u8; 1 << 20]]);
    let mut queued = 0;
    let fill = async {
        loop {
            match router.try_send(&big) {
                Ok(()) => {
                    queued += 1;
                    // Let the connection's writer run: Full must come from the peer, not from us.
                    tokio::task::yield_now().await;
                }
                // The handshake is not done yet.
                Err(SendError::Unreachable) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(SendError::Full) => return,
            }
        }
    };
    if timeout(DEADLINE, fill).await.is_err() {
        panic!("{queued} MiB queued to a peer that never reads and no Full within {DEADLINE:?}");
    }
    assert!(queued >= limits.hwm, "Full after only {queued} messages");
    let ctx = zmq::Context::new();
    let other = zmq_dealer(&ctx, &router, Some(b"other"));
    other.send("hi", 0).unwrap();
    assert_eq!(
        recv(&router, "another peer's message").await,
        msg(&[b"other", b"hi"])
    );
    router.try_send(&msg(&[b"other", b"served"])).unwrap();
    let (_other, reply) = zmq_recv(other, "the other peer's reply").await;
    assert_eq!(reply, [b"served".to_vec()]);
}
