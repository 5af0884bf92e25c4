//! ROUTER semantics as `ZMQ_ROUTER_MANDATORY` and `ZMQ_ROUTER_HANDOVER` define them.

use super::*;

/// A libzmq DEALER that does not reconnect once dropped, so a handover is not undone behind the test.
fn one_shot_dealer(ctx: &zmq::Context, router: &Router, identity: &[u8]) -> zmq::Socket {
    let socket = zmq_socket(ctx, zmq::DEALER, Some(identity));
    socket.set_reconnect_ivl(-1).unwrap();
    socket.connect(router.endpoint()).unwrap();
    socket
}

#[tokio::test]
async fn sending_to_an_unknown_identity_is_unreachable() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    assert_eq!(
        router.try_send(&msg(&[b"nobody", b"hello"])),
        Err(SendError::Unreachable)
    );
    assert_eq!(router.try_send(&[]), Err(SendError::Unreachable));
    let ctx = zmq::Context::new();
    let known = zmq_dealer(&ctx, &router, Some(b"known"));
    known.send("hi", 0).unwrap();
    assert_eq!(
        recv(&router, "the known peer's hello").await,
        msg(&[b"known", b"hi"])
    );
    assert_eq!(router.try_send(&msg(&[b"known", b"hello"])), Ok(()));
    assert_eq!(
        router.try_send(&msg(&[b"unknown", b"hello"])),
        Err(SendError::Unreachable)
    );
}

#[tokio::test]
async fn sends_become_unreachable_once_the_peer_closes() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    let ctx = zmq::Context::new();
    let peer = zmq_dealer(&ctx, &router, Some(b"leaving"));
    peer.send("hi", 0).unwrap();
    assert_eq!(
        recv(&router, "the peer's hello").await,
        msg(&[b"leaving", b"hi"])
    );
    assert_eq!(
        router.try_send(&msg(&[b"leaving", b"still there?"])),
        Ok(())
    );
    drop(peer);
    expect_disconnected(&router, b"leaving").await;
    assert_eq!(
        router.try_send(&msg(&[b"leaving", b"gone?"])),
        Err(SendError::Unreachable)
    );
}

/// The owner hears of a closed connection after every message it delivered, so it can tell which
/// requests the peer answered before it went.
#[tokio::test]
async fn a_disconnection_is_reported_after_the_peers_last_messages() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    let mut peer = raw_peer(&router, "DEALER", b"short-lived").await;
    let words = [&b"one"[..], b"two", b"three"];
    let mut last_words = BytesMut::new();
    for word in words {
        wire::put_frame_head(&mut last_words, word.len(), false, false);
        last_words.extend_from_slice(word);
    }
    peer.write_all(&last_words).await.unwrap();
    drop(peer);
    for word in words {
        assert_eq!(
            recv(&router, "a last word").await,
            msg(&[b"short-lived", word])
        );
    }
    expect_disconnected(&router, b"short-lived").await;
}

#[tokio::test]
async fn a_peer_reconnecting_with_the_same_identity_takes_it_over() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    let ctx = zmq::Context::new();
    let old = one_shot_dealer(&ctx, &router, b"worker-1");
    old.send("from old", 0).unwrap();
    assert_eq!(
        recv(&router, "the first").await,
        msg(&[b"worker-1", b"from old"])
    );
    let new = one_shot_dealer(&ctx, &router, b"worker-1");
    new.send("from new", 0).unwrap();
    // The new connection's message is read after its handshake, so the identity is now its.
    assert_eq!(
        recv(&router, "the second").await,
        msg(&[b"worker-1", b"from new"])
    );
    router.try_send(&msg(&[b"worker-1", b"reply"])).unwrap();
    let (_new, reply) = zmq_recv(new, "the reply on the new connection").await;
    assert_eq!(reply, [b"reply".to_vec()]);
    assert_eq!(old.recv_multipart(zmq::DONTWAIT), Err(zmq::Error::EAGAIN));
    assert_eq!(router.accepted(), 2);
    assert!(!router.has_input(), "a handover is no disconnection");
}

#[tokio::test]
async fn the_connection_an_identity_is_taken_from_is_closed() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    let mut old = raw_peer(&router, "DEALER", b"worker-2").await;
    read_handshake(&mut old, &mut BytesMut::new()).await;
    eventually("the router registering the first connection", || {
        router.try_send(&msg(&[b"worker-2", b"hello"])).is_ok()
    })
    .await;
    let ctx = zmq::Context::new();
    let new = one_shot_dealer(&ctx, &router, b"worker-2");
    new.send("from new", 0).unwrap();
    assert_eq!(
        recv(&router, "the new connection's message").await,
        msg(&[b"worker-2", b"from new"])
    );
    assert!(
        closed_by_peer(&mut old).await,
        "the old connection is still open"
    );
    // The old connection's task reported whatever it had before closing.
    assert!(!router.has_input(), "a handover is no disconnection");
    router.try_send(&msg(&[b"worker-2", b"reply"])).unwrap();
    let (_new, reply) = zmq_recv(new, "the reply on the new connection").await;
    assert_eq!(reply, [b"reply".to_vec()]);
}
