//! Requests and responses pass through with their bodies; the upstream sees
//! who forwarded the request; hop-by-hop headers stop at the gateway both
//! ways; upstream connections are reused; paths and Host follow the config.

use scale0_tests::upstream::Upstream;

use super::{config, exchange, gateway_to, header, WAIT};
use scale0_tests::gateway::Gateway;

#[test]
fn get_and_post_pass_through_with_their_bodies() {
    let upstream = Upstream::start().unwrap();
    let gateway = gateway_to(upstream.port);
    let got = exchange(
        gateway.port(),
        b"GET /a/b?x=1&y HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(got.0, 200);
    assert_eq!(got.2, b"GET /a/b?x=1&y\n0 body bytes\n");
    let got = exchange(
        gateway.port(),
        b"POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\nhello=world",
    );
    assert_eq!(got.0, 200);
    assert_eq!(got.2, b"POST /form\n11 body bytes\nhello=world");
    assert_eq!(header(&got, "content-type"), Some("text/plain"));
}

#[test]
fn a_chunked_request_body_reaches_the_upstream_whole() {
    let upstream = Upstream::start().unwrap();
    let gateway = gateway_to(upstream.port);
    let got = exchange(
        gateway.port(),
        b"PUT /doc HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    );
    assert_eq!(got.2, b"PUT /doc\n11 body bytes\nhello world");
}

#[test]
fn the_upstream_sees_forwarded_headers_and_via_but_no_hop_by_hop_headers() {
    let upstream = Upstream::start().unwrap();
    let gateway = gateway_to(upstream.port);
    let got = exchange(
        gateway.port(),
        b"GET /who HTTP/1.1\r\nHost: site.example\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\n\
Keep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eDp5\r\n\
X-Forwarded-For: 6.6.6.6\r\nX-App: kept\r\n\r\n",
    );
    assert_eq!(got.0, 200);
    let seen = &upstream.requests()[0];
    assert_eq!(
        seen.header("host"),
        Some("site.example"),
        "Host passes through"
    );
    assert_eq!(
        seen.header("x-forwarded-for"),
        Some("127.0.0.1"),
        "an untrusted client's own X-Forwarded-For is replaced"
    );
    assert_eq!(seen.header("x-forwarded-proto"), Some("http"));
    assert_eq!(seen.header("x-forwarded-host"), Some("site.example"));
    assert_eq!(seen.header("via"), Some("1.1 scale0"));
    assert_eq!(seen.header("x-app"), Some("kept"));
    for hop in ["x-hop", "keep-alive", "te", "proxy-authorization"] {
        assert_eq!(seen.header(hop), None, "{hop} must not reach the upstream");
    }
}

#[test]
fn a_trusted_front_proxy_keeps_its_forwarded_for_chain() {
    let upstream = Upstream::start().unwrap();
    let url = format!("http://127.0.0.1:{}", upstream.port);
    let gateway = Gateway::start(&config(
        &url,
        "/",
        "",
        "",
        r#"trusted_proxies = ["127.0.0.1"]"#,
    ))
    .unwrap();
    exchange(
        gateway.port(),
        b"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n\r\n",
    );
    let seen = &upstream.requests()[0];
    assert_eq!(
        seen.header("x-forwarded-for"),
        Some("203.0.113.7, 127.0.0.1")
    );
    assert_eq!(seen.header("x-forwarded-proto"), Some("https"));
}

#[test]
fn hop_by_hop_response_headers_stop_at_the_gateway() {
    let upstream = Upstream::start().unwrap();
    let gateway = gateway_to(upstream.port);
    let got = exchange(
        gateway.port(),
        b"GET /hop HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(got.0, 200);
    for hop in ["x-hop", "keep-alive", "proxy-authenticate"] {
        assert_eq!(header(&got, hop), None, "{hop} must not reach the client");
    }
    assert_eq!(header(&got, "x-end-to-end"), Some("kept"));
    assert_eq!(header(&got, "via"), Some("1.1 scale0"));
}

#[test]
fn requests_from_many_clients_reuse_one_upstream_connection() {
    let upstream = Upstream::start().unwrap();
    let gateway = gateway_to(upstream.port);
    for i in 0..5 {
        let request =
            format!("GET /n/{i} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assert_eq!(exchange(gateway.port(), request.as_bytes()).0, 200);
    }
    let seen = upstream.wait_requests(5, WAIT).unwrap();
    assert!(seen.iter().all(|s| s.conn == 0), "{seen:?}");
    assert_eq!(upstream.connections(), 1);
}

#[test]
fn max_idle_per_host_zero_opens_a_connection_per_request() {
    let upstream = Upstream::start().unwrap();
    let url = format!("http://127.0.0.1:{}", upstream.port);
    let gateway = Gateway::start(&config(&url, "/", "max_idle_per_host = 0", "", "")).unwrap();
    for _ in 0..3 {
        exchange(gateway.port(), b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    }
    assert_eq!(upstream.connections(), 3);
}

#[test]
fn the_url_path_prefixes_the_whole_request_path_and_the_route_is_kept() {
    let upstream = Upstream::start().unwrap();
    let url = format!("http://127.0.0.1:{}/base/", upstream.port);
    let gateway = Gateway::start(&config(&url, "/api/", "", "", "")).unwrap();
    let got = exchange(
        gateway.port(),
        b"GET /api/items?page=2 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(got.2, b"GET /base/api/items?page=2\n0 body bytes\n");
}

#[test]
fn preserve_host_off_sends_the_upstream_address_as_host() {
    let upstream = Upstream::start().unwrap();
    let url = format!("http://127.0.0.1:{}", upstream.port);
    let gateway = Gateway::start(&config(&url, "/", "preserve_host = false", "", "")).unwrap();
    exchange(
        gateway.port(),
        b"GET / HTTP/1.1\r\nHost: site.example\r\n\r\n",
    );
    let seen = &upstream.requests()[0];
    let expected = format!("127.0.0.1:{}", upstream.port);
    assert_eq!(seen.header("host"), Some(expected.as_str()));
    assert_eq!(seen.header("x-forwarded-host"), Some("site.example"));
}

#[test]
fn an_http2_client_is_proxied_as_http1() {
    let upstream = Upstream::start().unwrap();
    let gateway = gateway_to(upstream.port);
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "--http2-prior-knowledge",
            "--data-binary",
            "h2 body",
            "-H",
            "Host: h2.example",
        ])
        .arg(format!("http://127.0.0.1:{}/h2?q=1", gateway.port()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"POST /h2?q=1\n7 body bytes\nh2 body");
    let seen = &upstream.requests()[0];
    assert_eq!(seen.header("host"), Some("h2.example"));
    assert_eq!(seen.header("via"), Some("2 scale0"));
}

#[test]
fn head_gets_the_upstream_head_and_no_body_and_the_connection_stays_usable() {
    let upstream = Upstream::start().unwrap();
    let gateway = gateway_to(upstream.port);
    let mut conn = scale0_tests::client::Conn::connect(gateway.port()).unwrap();
    conn.send(b"HEAD /h HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let head = conn
        .read_until(WAIT, |b| {
            scale0_tests::client::find(b, b"\r\n\r\n").is_some()
        })
        .unwrap();
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(
        text.contains("content-length: 21\r\n"),
        "the upstream's length: {text}"
    );
    assert!(text.ends_with("\r\n\r\n"), "no body after the head: {text}");
    conn.send(b"GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let next = scale0_tests::client::split_response(&conn.read_response(WAIT).unwrap()).unwrap();
    assert_eq!(next.2, b"GET /after\n0 body bytes\n");
}

#[test]
fn a_client_expecting_100_continue_gets_its_large_body_through() {
    let upstream = Upstream::start().unwrap();
    let gateway = gateway_to(upstream.port);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.bin");
    std::fs::write(&file, vec![b'e'; 2 * 1024 * 1024]).unwrap();
    let out = std::process::Command::new("curl")
        .args(["-sS", "-H", "Expect: 100-continue", "--data-binary"])
        .arg(format!("@{}", file.display()))
        .arg(format!("http://127.0.0.1:{}/big", gateway.port()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"POST /big\n2097152 body bytes\n");
    assert_eq!(
        upstream.requests()[0].header("expect"),
        None,
        "answered by the gateway"
    );
}
