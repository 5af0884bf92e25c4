//! Issue 5 item 3: download credits, `X ctl` keep-alive and cancel side by side with the real
//! Mongrel2, and the per-connection output cap (`max_output_bytes`, `slow_client`) against a
//! client that stops reading.

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mongrel2_compat::reply::Ctl;
use scale0_tests::client::Conn;

use super::uploads::side::{conn_id, header, norm, Side, EVENT, QUIET};

const GET: &[u8] = b"GET /credits HTTP/1.1\r\nHost: localhost\r\n\r\n";

#[test]
fn download_credits_notices_match_mongrel2() {
    let m2 = Side::mongrel2(&[("download.flow_control", "1")]);
    let s0 = Side::scale0("download_credits = true", "");
    let mut seen = Vec::new();
    for side in [&m2, &s0] {
        let mut client = Conn::connect(side.port).unwrap();
        client.send(GET).unwrap();
        let request = side.recv("the request");
        assert_eq!(
            header(&request, "DOWNLOAD_CREDITS").as_deref(),
            Some("102400")
        );
        let id = conn_id(&request);
        side.reply(id, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
        side.reply(id, b"0123456789");
        let answer = client.read_response(EVENT).unwrap();
        assert!(answer.ends_with(b"\r\n\r\n0123456789"), "{}", side.name);
        let notices = [side.recv("notice 1"), side.recv("notice 2")];
        seen.push([norm(&request), norm(&notices[0]), norm(&notices[1])]);
    }
    assert_eq!(seen[1], seen[0]);
    assert!(
        seen[0][1].contains(r#""DOWNLOAD_CREDITS":"39""#),
        "{:?}",
        seen[0]
    );
}

#[test]
fn ctl_keep_alive_writes_nothing_and_ctl_cancel_drops_the_client_without_notice() {
    for side in [Side::mongrel2(&[]), Side::scale0("", "")] {
        let mut client = Conn::connect(side.port).unwrap();
        client.send(GET).unwrap();
        let id = conn_id(&side.recv("the request"));
        side.ctl(
            id,
            &Ctl {
                keep_alive: true,
                ..Ctl::default()
            },
        );
        assert!(
            !client.closed_within(QUIET).unwrap(),
            "{}: keep-alive keeps it open",
            side.name
        );
        side.ctl(
            id,
            &Ctl {
                cancel: true,
                ..Ctl::default()
            },
        );
        // Mongrel2 closes without a byte; Scale0 answers the waiting request 502 and closes.
        let answer = client.read_to_eof(EVENT).unwrap_or_default();
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 502"),
            "{}: {:?}",
            side.name,
            String::from_utf8_lossy(&answer)
        );
        assert!(
            side.next_within(QUIET).is_none(),
            "{}: no disconnect notice",
            side.name
        );
    }
}

/// A handler streaming `total` bytes in 64 KiB messages to a client that reads nothing.
fn flood(side: &Side, id: u64, total: usize) {
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n");
    side.reply(id, head.as_bytes());
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..total / chunk.len() {
        side.reply(id, &chunk);
    }
}

#[test]
fn a_client_that_stops_reading_is_dropped_once_its_output_cap_is_full() {
    let side = Side::scale0("max_output_bytes = \"256KiB\"\nslow_client = \"drop\"", "");
    let mut stream = TcpStream::connect(("127.0.0.1", side.port)).unwrap();
    std::io::Write::write_all(&mut stream, GET).unwrap();
    let id = conn_id(&side.recv("the request"));
    let total = 64 * 1024 * 1024;
    flood(&side, id, total);
    // Reading now, the client gets what was in flight and then the connection ends, far
    // short of the whole body: the gateway held at most the cap plus socket buffers.
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    stream.set_read_timeout(Some(EVENT)).unwrap();
    let start = Instant::now();
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
        assert!(start.elapsed() < EVENT * 3, "the client was never dropped");
    }
    assert!(
        got < total / 4,
        "dropped early: read {got} of {total} bytes"
    );
    // As in Mongrel2, the drop itself sends nothing; replies the handler wrote after it
    // are for an unknown id and each gets a disconnect notice.
    while let Some(frame) = side.next_within(QUIET) {
        let notice = mongrel2_compat::request::decode(&frame).unwrap();
        assert!(
            notice.is_notice(),
            "only disconnect notices: {}",
            norm(&frame)
        );
    }
}

#[test]
fn a_handler_that_waits_for_its_credits_is_paced_by_a_slow_client() {
    let side = Side::scale0(
        "download_credits = true\nslow_client = \"pace\"\nmax_output_bytes = \"100KiB\"",
        "",
    );
    let mut stream = TcpStream::connect(("127.0.0.1", side.port)).unwrap();
    std::io::Write::write_all(&mut stream, GET).unwrap();
    let id = conn_id(&side.recv("the request"));
    let (message, count) = (16 * 1024usize, 128usize);
    let total = message * count;
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n");
    let mut credits = 102_400i64 - head.len() as i64;
    side.reply(id, head.as_bytes());
    let reader = std::thread::spawn(move || {
        let mut got = 0usize;
        let mut buf = vec![0u8; 4096];
        stream.set_read_timeout(Some(EVENT)).unwrap();
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            got += n;
            std::thread::sleep(Duration::from_micros(200));
        }
        got
    });
    let mut waited = 0;
    for _ in 0..count {
        while credits < message as i64 {
            let notice = side.recv("a credits notice");
            let granted: i64 = header(&notice, "DOWNLOAD_CREDITS")
                .unwrap()
                .parse()
                .unwrap();
            credits += granted;
            waited += 1;
        }
        side.reply(id, &vec![b'y'; message]);
        credits -= message as i64;
    }
    side.reply(id, b"");
    let got = reader.join().unwrap();
    assert!(
        got > total,
        "the whole body reached the client: {got} of {total}"
    );
    assert!(waited > 0, "the handler had to wait for credits");
}
