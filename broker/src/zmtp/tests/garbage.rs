//! Clients that are not ZMTP peers, or that send commands: dropped or answered, never disturbing the
//! other peers.

use super::*;

/// A libzmq DEALER's round trip through `router`, to show it is still served.
async fn libzmq_round_trip(router: &Router) {
    let ctx = zmq::Context::new();
    let peer = zmq_dealer(&ctx, router, Some(b"worker"));
    peer.send("still here", 0).unwrap();
    assert_eq!(
        recv(router, "the libzmq peer's message").await,
        msg(&[b"worker", b"still here"])
    );
    router.try_send(&msg(&[b"worker", b"so am I"])).unwrap();
    let (_peer, reply) = zmq_recv(peer, "the reply").await;
    assert_eq!(reply, [b"so am I".to_vec()]);
}

async fn http_client(router: &Router, request: &[u8]) -> TcpStream {
    let address = router.endpoint().strip_prefix("tcp://").unwrap();
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    stream
}

/// The request is shorter than a greeting: its first byte is not ZMTP's, and the client, waiting for
/// a response, sends nothing more. It must not hold a connection until `HANDSHAKE_TIMEOUT`.
#[tokio::test]
async fn a_short_http_request_is_dropped_without_waiting_for_the_handshake_timeout() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    let mut http = http_client(&router, b"GET / HTTP/1.1\r\n\r\n").await;
    libzmq_round_trip(&router).await;
    assert!(
        closed_by_peer(&mut http).await,
        "the HTTP client is still connected"
    );
}

#[tokio::test]
async fn a_full_http_request_is_dropped_while_a_libzmq_peer_works() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    let request = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";
    let mut http = http_client(&router, request).await;
    libzmq_round_trip(&router).await;
    assert!(
        closed_by_peer(&mut http).await,
        "the HTTP client is still connected"
    );
}

#[tokio::test]
async fn a_ping_gets_a_pong_with_its_context() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    let mut peer = raw_peer(&router, "DEALER", b"pinger").await;
    let mut buf = BytesMut::new();
    let metadata = read_handshake(&mut peer, &mut buf).await;
    assert_eq!(metadata.socket_type, "ROUTER");
    let mut ping = BytesMut::new();
    wire::put_command(&mut ping, "PING", b"\x00\x64heartbeat-7");
    peer.write_all(&ping).await.unwrap();
    let pong = read_frame(&mut peer, &mut buf, "PONG").await;
    assert!(pong.command);
    let (name, context) = wire::split_command(&pong.body).unwrap();
    assert_eq!((name, &context[..]), (&b"PONG"[..], &b"heartbeat-7"[..]));
}

#[tokio::test]
async fn a_socket_type_that_cannot_talk_to_a_router_is_dropped() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    let mut publisher = raw_peer(&router, "PUB", b"pub").await;
    assert!(
        closed_by_peer(&mut publisher).await,
        "the PUB is still connected"
    );
    assert!(
        !router.has_input(),
        "a peer that never connected cannot leave"
    );
    assert_eq!(
        router.try_send(&msg(&[b"pub", b"x"])),
        Err(SendError::Unreachable)
    );
}

#[tokio::test]
async fn an_error_command_closes_the_connection() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    let mut peer = raw_peer(&router, "DEALER", b"erring").await;
    let mut buf = BytesMut::new();
    read_handshake(&mut peer, &mut buf).await;
    eventually("the router registering the peer", || {
        router.try_send(&msg(&[b"erring", b"hello"])).is_ok()
    })
    .await;
    let mut error = BytesMut::new();
    wire::put_command(&mut error, "ERROR", b"\x04gone");
    peer.write_all(&error).await.unwrap();
    assert!(
        closed_by_peer(&mut peer).await,
        "still connected after ERROR"
    );
    expect_disconnected(&router, b"erring").await;
    assert_eq!(
        router.try_send(&msg(&[b"erring", b"hello"])),
        Err(SendError::Unreachable)
    );
}
