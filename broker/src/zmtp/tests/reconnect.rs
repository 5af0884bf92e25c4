//! The DEALER's connection: messages queue while it is down, it tells its owner when a connection that
//! was up is lost, and it comes back after the ROUTER does.

use super::*;

#[tokio::test]
async fn a_dealer_queues_until_its_router_binds_and_reconnects_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = ipc_in(&dir, "broker.sock");
    let dealer = Dealer::connect(endpoint.clone(), Bytes::from_static(b"link"), ROOMY).unwrap();
    dealer.try_send(&msg(&[b"sent before bind"])).unwrap();
    let first = Router::bind(&endpoint, ROOMY).unwrap();
    let queued = recv(&first, "the message queued before the bind").await;
    assert_eq!(queued, msg(&[b"link", b"sent before bind"]));
    first.try_send(&msg(&[b"link", b"ack"])).unwrap();
    assert_eq!(
        recv(&dealer, "the first router's reply").await,
        msg(&[b"ack"])
    );
    drop(first);
    eventually("the news that the connection was lost", || {
        dealer.has_input()
    })
    .await;
    // Until the owner has taken the news, the dealer stays away from a router that came back: an
    // owner that replaces the socket on a loss must never have the old one deliver what it queued.
    let second = Router::bind(&endpoint, ROOMY).unwrap();
    dealer
        .try_send(&msg(&[b"queued before the loss was read"]))
        .unwrap();
    let window = RECONNECT_INTERVAL * 3;
    assert!(
        tokio::time::timeout(window, second.readable())
            .await
            .is_err(),
        "nothing reaches the new router while the loss is unread"
    );
    assert_eq!(dealer.connections(), 1);
    assert_eq!(
        next(&dealer, "the news that the connection was lost").await,
        (Received::Disconnected, Vec::new()),
        "reported once, with no frames"
    );
    eventually("the dealer reconnecting to the new router", || {
        dealer.connections() == 2
    })
    .await;
    let kept = recv(&second, "the message queued while the loss was unread").await;
    assert_eq!(kept, msg(&[b"link", b"queued before the loss was read"]));
    dealer.try_send(&msg(&[b"sent after restart"])).unwrap();
    let after = recv(&second, "the message sent after the restart").await;
    assert_eq!(after, msg(&[b"link", b"sent after restart"]));
    second.try_send(&msg(&[b"link", b"ack again"])).unwrap();
    assert_eq!(
        recv(&dealer, "the second router's reply").await,
        msg(&[b"ack again"])
    );
}
