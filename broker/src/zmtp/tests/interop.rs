//! Wire compatibility: real libzmq 4.3 DEALERs and ROUTERs over tcp and ipc, and our two sockets with
//! each other.

use std::collections::HashMap;

use super::*;

/// A reply whose frames take each path through the outbound queue: empty, over the 1-byte size (a long
/// frame head), and far over the size below which bodies are copied.
fn varied_reply() -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"reply"),
        Bytes::new(),
        Bytes::from(vec![3u8; 300]),
        Bytes::from(vec![5u8; 100 * 1024]),
    ]
}

/// `message` behind the routing identity `to`.
fn routed(to: &Bytes, message: &[Bytes]) -> Vec<Bytes> {
    std::iter::once(to.clone())
        .chain(message.iter().cloned())
        .collect()
}

/// Compares what a peer received with what was sent, without printing 100 KiB on a mismatch.
fn assert_same(received: &[impl AsRef<[u8]>], sent: &[Bytes]) {
    let sizes = |frames: Vec<usize>| format!("{} frames of {frames:?} bytes", frames.len());
    assert!(
        received
            .iter()
            .map(AsRef::as_ref)
            .eq(sent.iter().map(|f| &f[..])),
        "received {}, sent {}",
        sizes(received.iter().map(|f| f.as_ref().len()).collect()),
        sizes(sent.iter().map(Bytes::len).collect()),
    );
}

async fn libzmq_dealer_with_identity_round_trips(endpoint: Endpoint) {
    let router = Router::bind(&endpoint, ROOMY).unwrap();
    let ctx = zmq::Context::new();
    let dealer = zmq_dealer(&ctx, &router, Some(b"worker-7"));
    dealer
        .send_multipart([&b"hello"[..], b"", b"world"], 0)
        .unwrap();
    let request = recv(&router, "the DEALER's request").await;
    assert_eq!(request, msg(&[b"worker-7", b"hello", b"", b"world"]));
    let reply = varied_reply();
    router.try_send(&routed(&request[0], &reply)).unwrap();
    let (_dealer, received) = zmq_recv(dealer, "the reply").await;
    assert_same(&received, &reply);
}

#[tokio::test]
async fn libzmq_dealer_with_identity_round_trips_over_tcp() {
    libzmq_dealer_with_identity_round_trips(tcp_any()).await;
}

#[tokio::test]
async fn libzmq_dealer_with_identity_round_trips_over_ipc() {
    let dir = tempfile::tempdir().unwrap();
    libzmq_dealer_with_identity_round_trips(ipc_in(&dir, "router.sock")).await;
}

#[tokio::test]
async fn libzmq_dealers_without_identity_get_distinct_five_byte_ones() {
    let router = Router::bind(&tcp_any(), ROOMY).unwrap();
    let ctx = zmq::Context::new();
    let one = zmq_dealer(&ctx, &router, None);
    let two = zmq_dealer(&ctx, &router, None);
    one.send("one", 0).unwrap();
    two.send("two", 0).unwrap();
    let mut identities = HashMap::new();
    for _ in 0..2 {
        let request = recv(&router, "an anonymous DEALER's request").await;
        let [identity, body] = &request[..] else {
            panic!("expected [identity, body], got {request:?}");
        };
        assert_eq!((identity.len(), identity[0]), (5, 0), "{identity:?}");
        identities.insert(body.clone(), identity.clone());
    }
    let (to_one, to_two) = (&identities[&b"one"[..]], &identities[&b"two"[..]]);
    assert_ne!(to_one, to_two);
    router
        .try_send(&routed(to_one, &msg(&[b"for one"])))
        .unwrap();
    router
        .try_send(&routed(to_two, &msg(&[b"for two"])))
        .unwrap();
    let (_one, got) = zmq_recv(one, "the first DEALER's reply").await;
    assert_eq!(got, [b"for one".to_vec()]);
    let (_two, got) = zmq_recv(two, "the second DEALER's reply").await;
    assert_eq!(got, [b"for two".to_vec()]);
}

#[tokio::test]
async fn our_dealer_talks_to_a_libzmq_router() {
    let ctx = zmq::Context::new();
    let router = zmq_socket(&ctx, zmq::ROUTER, None);
    router.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = router.get_last_endpoint().unwrap().unwrap();
    let identity = Bytes::from_static(b"gateway-1");
    let dealer =
        Dealer::connect(Endpoint::parse(&endpoint).unwrap(), identity.clone(), ROOMY).unwrap();
    dealer
        .try_send(&msg(&[b"SUBMIT", b"", b"payload"]))
        .unwrap();
    let (router, request) = zmq_recv(router, "our DEALER's request").await;
    assert_same(&request, &msg(&[b"gateway-1", b"SUBMIT", b"", b"payload"]));
    let reply = varied_reply();
    router
        .send_multipart(routed(&identity, &reply).iter().map(|f| &f[..]), 0)
        .unwrap();
    assert_same(&recv(&dealer, "the libzmq ROUTER's reply").await, &reply);
    assert_eq!(dealer.connections(), 1);
    let anonymous =
        Dealer::connect(Endpoint::parse(&endpoint).unwrap(), Bytes::new(), ROOMY).unwrap();
    anonymous.try_send(&msg(&[b"who am I?"])).unwrap();
    let (_router, request) = zmq_recv(router, "the anonymous DEALER's request").await;
    let [identity, body] = &request[..] else {
        panic!("expected [identity, body], got {request:?}");
    };
    assert_eq!(
        (identity.len(), identity[0], &body[..]),
        (5, 0, &b"who am I?"[..])
    );
}

#[tokio::test]
async fn our_dealers_talk_to_our_router_over_ipc() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = ipc_in(&dir, "router.sock");
    let router = Router::bind(&endpoint, ROOMY).unwrap();
    let named = Dealer::connect(endpoint.clone(), Bytes::from_static(b"named"), ROOMY).unwrap();
    let anonymous = Dealer::connect(endpoint, Bytes::new(), ROOMY).unwrap();
    named.try_send(&msg(&[b"from named"])).unwrap();
    anonymous.try_send(&msg(&[b"from anonymous"])).unwrap();
    let mut identities = HashMap::new();
    for _ in 0..2 {
        let request = recv(&router, "a DEALER's request").await;
        identities.insert(request[1].clone(), request[0].clone());
    }
    assert_eq!(identities[&b"from named"[..]], b"named"[..]);
    let generated = &identities[&b"from anonymous"[..]];
    assert_eq!((generated.len(), generated[0]), (5, 0), "{generated:?}");
    let reply = varied_reply();
    router
        .try_send(&routed(&Bytes::from_static(b"named"), &reply))
        .unwrap();
    router
        .try_send(&routed(generated, &msg(&[b"yours"])))
        .unwrap();
    assert_same(&recv(&named, "the named DEALER's reply").await, &reply);
    assert_eq!(
        recv(&anonymous, "the anonymous DEALER's reply").await,
        msg(&[b"yours"])
    );
}
