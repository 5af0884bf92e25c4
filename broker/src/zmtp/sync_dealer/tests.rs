//! Tests of [`SyncDealer`] driven the way the worker's I/O loop drives it: `zmq::poll` on its descriptor
//! (for writing only when it wants to), bounded by [`SyncDealer::retry_at`], then
//! [`SyncDealer::progress`]. The peers are real libzmq 4.3 ROUTERs (rust-zmq) set up as the broker sets
//! its own, a hand-written ZMTP server where a test needs to control what arrives in one read or a peer
//! that stops reading, and a server that is not ZMTP at all. Every wait has a deadline and fails with a
//! message naming what did not happen.

use std::net::TcpListener;

use tempfile::TempDir;

use super::*;

mod handmade;
mod limits;

/// Upper bound for anything a test waits on.
const DEADLINE: Duration = Duration::from_secs(5);

/// libzmq's receive timeout, in `ZMQ_RCVTIMEO`'s unit (milliseconds).
const RCVTIMEO_MS: i32 = 5_000;

/// Bounds for tests that are not about them.
const ROOMY: Limits = Limits {
    hwm: 100,
    max_frame: 1 << 20,
    max_frames: 16,
};

/// A libzmq ROUTER as the broker opens it (handover and mandatory routing on, linger 0), with its own
/// context: dropping it waits until its listener is closed and its ipc file removed, so the same
/// endpoint can be bound again at once.
struct Peer {
    socket: zmq::Socket,
    /// As libzmq reports it bound (`tcp://127.0.0.1:port`, `ipc://path`).
    endpoint: String,
    _context: zmq::Context,
}

impl Peer {
    fn bind(endpoint: &str) -> Peer {
        Peer::bind_with_rcvhwm(endpoint, 1000)
    }

    /// A ROUTER whose connections stop being read once `rcvhwm` messages wait for the test.
    fn bind_with_rcvhwm(endpoint: &str, rcvhwm: i32) -> Peer {
        let context = zmq::Context::new();
        let socket = context.socket(zmq::ROUTER).unwrap();
        socket.set_rcvhwm(rcvhwm).unwrap();
        socket.set_linger(0).unwrap();
        socket.set_rcvtimeo(RCVTIMEO_MS).unwrap();
        socket.set_router_handover(true).unwrap();
        socket.set_router_mandatory(true).unwrap();
        socket.bind(endpoint).unwrap();
        let endpoint = socket.get_last_endpoint().unwrap().unwrap();
        Peer {
            socket,
            endpoint,
            _context: context,
        }
    }

    /// A dealer connecting to this ROUTER.
    fn dealer(&self, identity: &'static [u8], limits: Limits) -> SyncDealer {
        let endpoint = Endpoint::parse(&self.endpoint).unwrap();
        SyncDealer::connect(endpoint, Bytes::from_static(identity), limits)
    }

    fn send(&self, frames: &[&[u8]]) {
        self.socket.send_multipart(frames, 0).unwrap();
    }

    fn try_recv(&self) -> Option<Vec<Vec<u8>>> {
        match self.socket.recv_multipart(zmq::DONTWAIT) {
            Ok(frames) => Some(frames),
            Err(zmq::Error::EAGAIN) => None,
            Err(error) => panic!("ROUTER recv failed: {error}"),
        }
    }
}

/// An ipc endpoint in `dir`.
fn ipc(dir: &TempDir) -> String {
    format!("ipc://{}", dir.path().join("broker.ipc").display())
}

/// Owned frames from byte strings, to compare with what a ROUTER received.
fn owned(frames: &[&[u8]]) -> Vec<Vec<u8>> {
    frames.iter().map(|f| f.to_vec()).collect()
}

/// Milliseconds from `now` to `at`, rounded up (a poll must not wake just before it).
fn millis_until(at: Instant, now: Instant) -> i64 {
    let left = at.saturating_duration_since(now);
    i64::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i64::MAX)
}

/// Runs `dealer` as its owner does until `done` returns something, within [`DEADLINE`]. `peer`, when
/// given, is polled too so that a message reaching it ends the wait (`done` must then take it).
fn drive<T>(
    dealer: &mut SyncDealer,
    peer: Option<&zmq::Socket>,
    what: &str,
    mut done: impl FnMut(&mut SyncDealer) -> Option<T>,
) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = done(dealer) {
            return value;
        }
        let now = Instant::now();
        assert!(now < deadline, "{what}: did not happen within {DEADLINE:?}");
        let until = dealer.retry_at().map_or(deadline, |at| at.min(deadline));
        let timeout = if dealer.has_input() {
            0
        } else {
            millis_until(until, now)
        };
        let mut items = Vec::with_capacity(2);
        if let Some(fd) = dealer.fd() {
            let mut events = zmq::POLLIN;
            if dealer.wants_write() {
                events |= zmq::POLLOUT;
            }
            items.push(zmq::PollItem::from_fd(fd, events));
        }
        if let Some(peer) = peer {
            items.push(peer.as_poll_item(zmq::POLLIN));
        }
        match zmq::poll(&mut items, timeout) {
            Ok(_) | Err(zmq::Error::EINTR) => {}
            Err(error) => panic!("zmq::poll failed: {error}"),
        }
        let dealer_item = items.first().filter(|_| dealer.fd().is_some());
        let readable = dealer_item.is_some_and(zmq::PollItem::is_readable);
        let writable = dealer_item.is_some_and(zmq::PollItem::is_writable);
        dealer.progress(readable, writable, Instant::now());
    }
}

/// The next message `peer` receives while `dealer` is driven.
fn at_peer(dealer: &mut SyncDealer, peer: &Peer, what: &str) -> Vec<Vec<u8>> {
    drive(dealer, Some(&peer.socket), what, |_| peer.try_recv())
}

/// The next thing `dealer` hands its owner.
fn at_dealer(dealer: &mut SyncDealer, what: &str) -> (Received, Vec<Bytes>) {
    drive(dealer, None, what, |dealer| {
        let mut frames = Vec::new();
        match dealer.try_recv(&mut frames) {
            Received::Empty => None,
            received => Some((received, frames)),
        }
    })
}

/// A message of an empty, a small, a 300-byte and a 100 KiB frame goes out with our identity first,
/// and the ROUTER's multipart reply comes back whole.
fn round_trip(endpoint: &str) {
    let peer = Peer::bind(endpoint);
    let mut dealer = peer.dealer(b"worker-1", ROOMY);
    let medium = vec![b'm'; 300];
    let large: Vec<u8> = (0..100 * 1024u32).map(|i| (i % 251) as u8).collect();
    dealer.try_send(&[b"", b"small", &medium, &large]).unwrap();
    let got = at_peer(&mut dealer, &peer, "the dealer's message at the ROUTER");
    assert_eq!(got, owned(&[b"worker-1", b"", b"small", &medium, &large]));

    peer.send(&[b"worker-1", b"", b"reply", &medium, &large]);
    let (received, frames) = at_dealer(&mut dealer, "the ROUTER's reply");
    assert_eq!(received, Received::Message);
    assert_eq!(frames, owned(&[b"", b"reply", &medium, &large]));
}

#[test]
fn round_trip_over_tcp() {
    round_trip("tcp://127.0.0.1:*");
}

#[test]
fn round_trip_over_ipc() {
    let dir = TempDir::new().unwrap();
    round_trip(&ipc(&dir));
}

#[test]
fn without_identity_the_router_assigns_libzmq_auto_id() {
    let peer = Peer::bind("tcp://127.0.0.1:*");
    let mut dealer = peer.dealer(b"", ROOMY);
    dealer.try_send(&[b"hello"]).unwrap();
    let got = at_peer(&mut dealer, &peer, "an anonymous dealer's message");
    assert_eq!(got.len(), 2, "identity and one frame: {got:?}");
    assert_eq!(got[0].len(), 5, "libzmq's auto id is 5 bytes: {:?}", got[0]);
    assert_eq!(got[0][0], 0, "libzmq's auto id starts with 0x00");
    assert_eq!(got[1], b"hello");

    peer.send(&[&got[0], b"to you"]);
    let (received, frames) = at_dealer(&mut dealer, "a reply to the auto id");
    assert_eq!(received, Received::Message);
    assert_eq!(frames, owned(&[b"to you"]));
}

#[test]
fn queued_while_down_is_sent_once_the_router_binds() {
    let dir = TempDir::new().unwrap();
    let endpoint = ipc(&dir);
    let before = Instant::now();
    let mut dealer = SyncDealer::connect(
        Endpoint::parse(&endpoint).unwrap(),
        Bytes::from_static(b"early"),
        ROOMY,
    );
    let after = Instant::now();
    assert_eq!(dealer.fd(), None, "nothing to connect to yet");
    let retry = dealer.retry_at().expect("down while nothing is bound");
    assert!(
        retry >= before + RECONNECT_INTERVAL && retry <= after + RECONNECT_INTERVAL,
        "next attempt one RECONNECT_INTERVAL after the failed one"
    );
    dealer.try_send(&[b"queued"]).unwrap();

    let peer = Peer::bind(&endpoint);
    dealer.progress(false, false, before);
    assert_eq!(
        dealer.fd(),
        None,
        "no attempt before retry_at (time is the caller's)"
    );
    let got = at_peer(&mut dealer, &peer, "the message queued while down");
    assert_eq!(got, owned(&[b"early", b"queued"]));
}

/// The ROUTER goes away and comes back at the same endpoint: the dealer notices and says so once,
/// reconnects by itself, delivers what was queued meanwhile (less what its owner discarded), and
/// traffic flows both ways again.
fn reconnects(endpoint: &str) {
    let first = Peer::bind(endpoint);
    let endpoint = first.endpoint.clone();
    let mut dealer = first.dealer(b"w", ROOMY);
    dealer.try_send(&[b"one"]).unwrap();
    assert_eq!(
        at_peer(&mut dealer, &first, "first message"),
        owned(&[b"w", b"one"])
    );

    drop(first);
    assert_eq!(
        at_dealer(&mut dealer, "the news that the connection dropped"),
        (Received::Disconnected, Vec::new()),
        "reported to the owner, with no frames"
    );
    assert!(dealer.retry_at().is_some(), "down, reconnecting by itself");
    dealer
        .try_send(&[b"meant for the lost connection"])
        .unwrap();
    dealer.discard_queued();
    dealer.try_send(&[b"while down"]).unwrap();

    let second = Peer::bind(&endpoint);
    let got = at_peer(&mut dealer, &second, "the message sent while down");
    assert_eq!(got, owned(&[b"w", b"while down"]));
    dealer.try_send(&[b"after"]).unwrap();
    let got = at_peer(&mut dealer, &second, "a message after the reconnect");
    assert_eq!(got, owned(&[b"w", b"after"]));
    second.send(&[b"w", b"welcome back"]);
    let (received, frames) = at_dealer(&mut dealer, "the new ROUTER's message");
    assert_eq!(received, Received::Message);
    assert_eq!(frames, owned(&[b"welcome back"]));
}

#[test]
fn reconnects_over_tcp() {
    reconnects("tcp://127.0.0.1:*");
}

#[test]
fn reconnects_over_ipc() {
    let dir = TempDir::new().unwrap();
    reconnects(&ipc(&dir));
}
