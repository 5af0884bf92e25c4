use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::http_reply;

/// A send timeout the tests below never reach.
const SEND_TIMEOUT: Duration = Duration::from_secs(3600);

fn conn(id: u64) -> Arc<Conn> {
    let peer = "127.0.0.1:40000".parse().unwrap();
    Arc::new(Conn::new(id, peer, http_reply::Limits::default()))
}

#[tokio::test(start_paused = true)]
async fn a_new_connection_is_http_pinged_now_and_never_read_or_written() {
    let registry = Registry::new();
    let conn_7 = conn(7);
    let entry = registry.register(&conn_7, 34, Instant::now());
    tokio::time::advance(Duration::from_secs(3)).await;
    let rows = registry.rows(Instant::now());
    assert_eq!(
        rows,
        vec![Row {
            id: 7,
            fd: 34,
            kind: 1,
            last_ping: 3,
            last_read: 0,
            last_write: 0,
            bytes_read: 0,
            bytes_written: 0,
        }]
    );
    assert_eq!(entry.stats().kind(), Kind::Http);
}

#[tokio::test(start_paused = true)]
async fn counted_io_counts_bytes_and_stamps_times() {
    let registry = Registry::new();
    let (client, server) = tokio::io::duplex(1024);
    let conn_1 = conn(1);
    let mut io = Counted::new(
        server,
        registry.register(&conn_1, 10, Instant::now()),
        SEND_TIMEOUT,
    );
    let mut client = client;
    client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 64];
    let n = io.read(&mut buf).await.unwrap();
    assert_eq!(n, 18);
    tokio::time::advance(Duration::from_secs(2)).await;
    io.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
    tokio::time::advance(Duration::from_secs(5)).await;
    let row = registry.rows(Instant::now())[0];
    assert_eq!((row.bytes_read, row.bytes_written), (18, 19));
    assert_eq!((row.last_read, row.last_ping, row.last_write), (7, 7, 5));
}

#[tokio::test]
async fn dropping_the_io_unlists_the_connection() {
    let registry = Registry::new();
    let (_client, server) = tokio::io::duplex(16);
    let conn_1 = conn(1);
    let io = Counted::new(
        server,
        registry.register(&conn_1, 10, Instant::now()),
        SEND_TIMEOUT,
    );
    assert_eq!(registry.len(), 1);
    drop(io);
    assert!(registry.is_empty());
    assert!(registry.get(1).is_none());
}

#[tokio::test]
async fn a_reused_id_is_not_unlisted_by_the_old_entry() {
    let registry = Registry::new();
    let conn_5 = conn(5);
    let old = registry.register(&conn_5, 10, Instant::now());
    let new = registry.register(&conn_5, 11, Instant::now());
    drop(old);
    assert_eq!(registry.get(5).map(|s| s.fd), Some(11));
    drop(new);
    assert!(registry.is_empty());
}

#[tokio::test]
async fn kill_fails_reads_and_writes_and_reports_each_case() {
    let registry = Registry::new();
    let (_client, server) = tokio::io::duplex(16);
    let conn_3 = conn(3);
    let mut io = Counted::new(
        server,
        registry.register(&conn_3, 12, Instant::now()),
        SEND_TIMEOUT,
    );
    assert_eq!(registry.kill(99), Killed::Unknown);
    assert_eq!(registry.kill(3), Killed::Done);
    assert!(io.stats().killed().is_cancelled());
    assert_eq!(registry.kill(3), Killed::AlreadyClosing);
    let mut buf = [0u8; 4];
    let read = io.read(&mut buf).await.unwrap_err();
    assert_eq!(read.kind(), std::io::ErrorKind::ConnectionAborted);
    let write = io.write(b"x").await.unwrap_err();
    assert_eq!(write.kind(), std::io::ErrorKind::ConnectionAborted);
}

#[tokio::test]
async fn set_kind_changes_the_type_column() {
    let registry = Registry::new();
    let conn_4 = conn(4);
    let _entry = registry.register(&conn_4, 13, Instant::now());
    assert!(registry.set_kind(4, Kind::WebSocket));
    assert!(!registry.set_kind(40, Kind::Socket));
    assert_eq!(registry.rows(Instant::now())[0].kind, 3);
    assert_eq!(registry.get(4).map(|s| s.kind()), Some(Kind::WebSocket));
}

#[tokio::test]
async fn rows_are_in_fd_order() {
    let registry = Registry::new();
    let now = Instant::now();
    let conn_1 = conn(1);
    let _a = registry.register(&conn_1, 30, now);
    let conn_2 = conn(2);
    let _b = registry.register(&conn_2, 20, now);
    let conn_3 = conn(3);
    let _c = registry.register(&conn_3, 25, now);
    let fds: Vec<i64> = registry.rows(now).iter().map(|r| r.fd).collect();
    assert_eq!(fds, vec![20, 25, 30]);
}

#[tokio::test]
async fn kill_wakes_a_read_parked_on_a_silent_client() {
    let registry = Registry::new();
    let (_client, server) = tokio::io::duplex(16);
    let conn_9 = conn(9);
    let mut io = Counted::new(
        server,
        registry.register(&conn_9, 14, Instant::now()),
        SEND_TIMEOUT,
    );
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 4];
        io.read(&mut buf).await
    });
    tokio::task::yield_now().await;
    assert_eq!(registry.kill(9), Killed::Done);
    let read = tokio::time::timeout(Duration::from_secs(5), reader)
        .await
        .expect("the parked read was not woken")
        .unwrap();
    assert_eq!(
        read.unwrap_err().kind(),
        std::io::ErrorKind::ConnectionAborted
    );
}

#[tokio::test(start_paused = true)]
async fn a_write_the_client_leaves_blocked_fails_after_send_timeout() {
    let registry = Registry::new();
    let (client, server) = tokio::io::duplex(16);
    let conn_5 = conn(5);
    let timeout = Duration::from_secs(60);
    let mut io = Counted::new(
        server,
        registry.register(&conn_5, 11, Instant::now()),
        timeout,
    );
    let started = Instant::now();
    let error = io.write_all(&[b'x'; 64]).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(started.elapsed(), timeout, "failed exactly at send_timeout");
    drop(client);
}

#[tokio::test(start_paused = true)]
async fn a_slow_reader_that_keeps_reading_is_never_timed_out() {
    let registry = Registry::new();
    let (mut client, server) = tokio::io::duplex(16);
    let conn_6 = conn(6);
    let timeout = Duration::from_secs(60);
    let mut io = Counted::new(
        server,
        registry.register(&conn_6, 12, Instant::now()),
        timeout,
    );
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut buf = [0u8; 16];
        while got.len() < 256 {
            // Each read comes well within the timeout; the whole transfer
            // takes far longer than it.
            tokio::time::sleep(Duration::from_secs(50)).await;
            let n = client.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        got.len()
    });
    io.write_all(&[b'y'; 256]).await.unwrap();
    assert_eq!(reader.await.unwrap(), 256);
}
