use super::*;
use tokio::net::TcpListener;

/// A connected pair: (the server side, the client side).
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (server, client)
}

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn the_first_byte_decides_and_is_not_consumed() {
    for (first, want) in [
        (&b"@chat {}\0"[..], Sniffed::Socket),
        (b"<policy-file-request/>\0", Sniffed::Socket),
        (b"GET / HTTP/1.1\r\n", Sniffed::Http),
    ] {
        let (server, mut client) = pair().await;
        client.write_all(first).await.unwrap();
        let got = sniff(&server, b"", WAIT, &CancellationToken::new()).await;
        assert_eq!(got, want, "{:?}", first.escape_ascii().to_string());
        let mut byte = [0u8; 1];
        server.peek(&mut byte).await.unwrap();
        assert_eq!(byte[0], first[0], "still there for the real reader");
    }
}

#[tokio::test]
async fn bytes_read_behind_a_proxy_header_decide_without_peeking() {
    let (server, _client) = pair().await;
    let got = sniff(&server, b"@chat", WAIT, &CancellationToken::new()).await;
    assert_eq!(got, Sniffed::Socket);
}

#[tokio::test]
async fn a_silent_or_closed_connection_or_a_stopping_gateway_is_silent() {
    let (server, _client) = pair().await;
    let quick = Duration::from_millis(50);
    assert_eq!(
        sniff(&server, b"", quick, &CancellationToken::new()).await,
        Sniffed::Silent
    );
    let stopping = CancellationToken::new();
    stopping.cancel();
    assert_eq!(sniff(&server, b"", WAIT, &stopping).await, Sniffed::Silent);
    let (server, client) = pair().await;
    drop(client);
    assert_eq!(
        sniff(&server, b"", WAIT, &CancellationToken::new()).await,
        Sniffed::Silent
    );
}
