//! The dealer's bounds: its send queue's mark, and frames or messages over the caps.

use super::*;

#[test]
fn send_beyond_hwm_is_full_and_keeps_what_was_queued() {
    let dir = TempDir::new().unwrap();
    let endpoint = ipc(&dir);
    let limits = Limits { hwm: 3, ..ROOMY };
    let mut dealer = SyncDealer::connect(
        Endpoint::parse(&endpoint).unwrap(),
        Bytes::from_static(b"w"),
        limits,
    );
    let bodies: [&[u8]; 3] = [b"m0", b"m1", b"m2"];
    for body in bodies {
        dealer.try_send(&[body]).unwrap();
    }
    assert_eq!(dealer.try_send(&[b"m3"]), Err(SendError::Full));

    let peer = Peer::bind(&endpoint);
    for body in bodies {
        assert_eq!(
            at_peer(&mut dealer, &peer, "a queued message"),
            owned(&[b"w", body])
        );
    }
    dealer.try_send(&[b"m3"]).unwrap();
    assert_eq!(
        at_peer(&mut dealer, &peer, "a send after room was made"),
        owned(&[b"w", b"m3"])
    );
}

#[test]
fn frame_over_max_frame_drops_the_connection_then_it_reconnects() {
    let peer = Peer::bind("tcp://127.0.0.1:*");
    let limits = Limits {
        max_frame: 1024,
        ..ROOMY
    };
    let mut dealer = peer.dealer(b"w", limits);
    dealer.try_send(&[b"hello"]).unwrap();
    at_peer(&mut dealer, &peer, "the handshake");

    let at_cap = vec![b'a'; 1024];
    peer.send(&[b"w", &at_cap]);
    let (received, frames) = at_dealer(&mut dealer, "a frame of exactly max_frame");
    assert_eq!(received, Received::Message);
    assert_eq!(frames, owned(&[&at_cap]));

    peer.send(&[b"w", &[b'x'; 1025]]);
    drive(
        &mut dealer,
        None,
        "the dealer dropping an oversized frame's connection",
        |d| d.retry_at(),
    );
    let mut frames = Vec::new();
    assert_eq!(
        dealer.try_recv(&mut frames),
        Received::Disconnected,
        "the owner hears the connection dropped, not the oversized frame"
    );
    assert_eq!(dealer.try_recv(&mut frames), Received::Empty);

    dealer.try_send(&[b"back"]).unwrap();
    assert_eq!(
        at_peer(&mut dealer, &peer, "a message after reconnecting"),
        owned(&[b"w", b"back"])
    );
    peer.send(&[b"w", b"small"]);
    let (received, frames) = at_dealer(&mut dealer, "a small frame on the new connection");
    assert_eq!(received, Received::Message);
    assert_eq!(frames, owned(&[b"small"]));
}

#[test]
fn message_over_max_frames_is_reported_and_the_next_arrives() {
    let peer = Peer::bind("tcp://127.0.0.1:*");
    let limits = Limits {
        max_frames: 3,
        ..ROOMY
    };
    let mut dealer = peer.dealer(b"w", limits);
    dealer.try_send(&[b"hello"]).unwrap();
    at_peer(&mut dealer, &peer, "the handshake");

    peer.send(&[b"w", b"a", b"b", b"c"]);
    peer.send(&[b"w", b"a", b"b", b"c", b"d"]);
    peer.send(&[b"w", b"next"]);
    let (received, frames) = at_dealer(&mut dealer, "a message of max_frames frames");
    assert_eq!(received, Received::Message);
    assert_eq!(frames, owned(&[b"a", b"b", b"c"]));
    let (received, frames) = at_dealer(&mut dealer, "the report of the long message");
    assert_eq!(received, Received::TooManyFrames);
    assert!(frames.is_empty());
    let (received, frames) = at_dealer(&mut dealer, "the message after the long one");
    assert_eq!(received, Received::Message);
    assert_eq!(frames, owned(&[b"next"]));
    assert_eq!(
        dealer.retry_at(),
        None,
        "a long message does not cost the connection"
    );
}
