//! Hand-written peers: a ZMTP server that writes a burst in one go or stops reading (flush), and one
//! that is not ZMTP at all.

use std::net::TcpStream;

use super::*;

/// A tcp listener for the hand-written peers, and the endpoint a dealer connects to.
fn listener() -> (TcpListener, Endpoint) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let endpoint = Endpoint::Tcp {
        host: "127.0.0.1".into(),
        port,
    };
    (listener, endpoint)
}

/// Accepts the dealer's connection and writes, in one `write`, a ROUTER's greeting and READY followed
/// by `after` (encoded frames), then never reads.
fn greet(listener: &TcpListener, after: &[u8]) -> TcpStream {
    let (mut stream, _) = listener.accept().unwrap();
    let mut hello = BytesMut::from(&wire::greeting(true)[..]);
    wire::put_ready(&mut hello, "ROUTER", None);
    hello.put_slice(after);
    stream.write_all(&hello).unwrap();
    stream
}

/// Encodes one message of `frames` as a ROUTER writes it to a DEALER.
fn encode(out: &mut BytesMut, frames: &[&[u8]]) {
    let last = frames.len() - 1;
    for (index, frame) in frames.iter().enumerate() {
        wire::put_frame_head(out, frame.len(), index < last, false);
        out.put_slice(frame);
    }
}

/// Regression: with `hwm` messages waiting, the dealer stops decoding; messages already read into its
/// buffer must still come out once the owner takes the first ones, without more bytes arriving.
#[test]
fn messages_read_beyond_hwm_are_delivered_without_more_traffic() {
    let (listener, endpoint) = listener();
    let limits = Limits { hwm: 2, ..ROOMY };
    let mut dealer = SyncDealer::connect(endpoint, Bytes::from_static(b"w"), limits);
    let mut burst = BytesMut::new();
    let bodies: Vec<Vec<u8>> = (0..6).map(|i| format!("m{i}").into_bytes()).collect();
    for body in &bodies {
        encode(&mut burst, &[body]);
    }
    let _server = greet(&listener, &burst);

    let mut got = Vec::new();
    drive(
        &mut dealer,
        None,
        "six messages through a hwm of two",
        |dealer| {
            let mut frames = Vec::new();
            while dealer.try_recv(&mut frames) == Received::Message {
                got.push(frames.concat());
            }
            (got.len() == bodies.len()).then_some(())
        },
    );
    assert_eq!(got, bodies);
}

/// The ROUTER's connection is not read while one message waits for the test (rcvhwm 1), so the
/// fillers and the socket buffers leave most of the 16 MiB message queued in the dealer; the test then
/// reads on another thread while `flush` writes the rest, and drops the dealer without driving it.
#[test]
fn flush_writes_what_the_socket_had_not_taken() {
    const FILLERS: usize = 100;
    let peer = Peer::bind_with_rcvhwm("tcp://127.0.0.1:*", 1);
    let limits = Limits { hwm: 1000, ..ROOMY };
    let mut dealer = peer.dealer(b"w", limits);
    dealer.try_send(&[b"hello"]).unwrap();
    at_peer(&mut dealer, &peer, "the handshake");

    for _ in 0..FILLERS {
        dealer.try_send(&[b"filler"]).unwrap();
    }
    let big: Vec<u8> = (0..16u32 << 20).map(|i| (i % 253) as u8).collect();
    dealer.try_send(&[&big]).unwrap();
    dealer.try_send(&[b"bye"]).unwrap();
    assert!(
        dealer.wants_write(),
        "16 MiB cannot fit a stalled connection"
    );

    let reader = std::thread::spawn(move || {
        let messages: Vec<Vec<Vec<u8>>> = (0..FILLERS + 2)
            .map(|_| peer.socket.recv_multipart(0).expect("a flushed message"))
            .collect();
        messages
    });
    let started = Instant::now();
    dealer.flush(DEADLINE);
    assert!(
        started.elapsed() < DEADLINE,
        "flush finished before its linger ran out"
    );
    drop(dealer);

    let messages = reader.join().unwrap();
    assert!(messages[..FILLERS]
        .iter()
        .all(|m| *m == owned(&[b"w", b"filler"])));
    assert!(
        messages[FILLERS] == owned(&[b"w", &big]),
        "the 16 MiB message arrives whole"
    );
    assert_eq!(messages[FILLERS + 1], owned(&[b"w", b"bye"]));
}

/// Regression: a worker that stops right after connecting; libzmq's linger would finish the handshake
/// and send, so a message `try_send` accepted must not vanish in `flush`.
#[test]
fn flush_right_after_connect_completes_the_handshake_and_sends() {
    let peer = Peer::bind("tcp://127.0.0.1:*");
    let mut dealer = peer.dealer(b"w", ROOMY);
    dealer.try_send(&[b"last words"]).unwrap();
    dealer.flush(DEADLINE);
    drop(dealer);
    let got = peer.socket.recv_multipart(0);
    assert_eq!(got, Ok(owned(&[b"w", b"last words"])));
}

#[test]
fn flush_with_nothing_connected_returns_within_the_linger() {
    let dir = TempDir::new().unwrap();
    let endpoint = Endpoint::parse(&ipc(&dir)).unwrap();
    let mut dealer = SyncDealer::connect(endpoint, Bytes::from_static(b"w"), ROOMY);
    dealer.try_send(&[b"nobody listens"]).unwrap();
    let linger = Duration::from_millis(200);
    let started = Instant::now();
    dealer.flush(linger);
    assert!(started.elapsed() <= linger, "took {:?}", started.elapsed());
}

#[test]
fn flush_to_a_peer_that_stopped_reading_gives_up_at_the_linger() {
    let (listener, endpoint) = listener();
    let mut dealer = SyncDealer::connect(endpoint, Bytes::from_static(b"w"), ROOMY);
    let _server = greet(&listener, &[]);
    dealer.try_send(&[&vec![0u8; 16 << 20]]).unwrap();
    drive(&mut dealer, None, "the socket filling up", |d| {
        d.wants_write().then_some(())
    });
    let linger = Duration::from_millis(200);
    let started = Instant::now();
    dealer.flush(linger);
    let took = started.elapsed();
    assert!(took >= linger && took < linger + DEADLINE, "took {took:?}");
}

#[test]
fn a_server_that_is_not_zmtp_is_dropped_and_retried() {
    let (listener, endpoint) = listener();
    let mut dealer = SyncDealer::connect(endpoint, Bytes::from_static(b"w"), ROOMY);
    let (mut server, _) = listener.accept().unwrap();
    server
        .write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        .unwrap();
    drive(
        &mut dealer,
        None,
        "the dealer refusing an HTTP reply",
        |d| d.retry_at(),
    );
    let mut frames = Vec::new();
    assert_eq!(dealer.try_recv(&mut frames), Received::Empty);

    server.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut seen = Vec::new();
    match server.read_to_end(&mut seen) {
        Ok(_) => assert_eq!(
            seen.first(),
            Some(&0xFF),
            "a ZMTP greeting, then the hang-up"
        ),
        Err(error) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset),
    }
    listener.set_nonblocking(true).unwrap();
    drive(&mut dealer, None, "the dealer trying again", |_| {
        listener.accept().ok()
    });
}
