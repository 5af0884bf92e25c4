//! The proxy's request-head rewriting and its failure responses; the whole
//! exchange with real upstreams is in tests/tests/e2e/proxy.rs.

use super::*;
use http_body_util::BodyExt;
use std::time::Duration;

fn proxy(url: &str, preserve_host: bool) -> Proxy {
    let config = config::Proxy {
        url: url.parse().unwrap(),
        preserve_host,
        connect_timeout: Duration::from_secs(1),
        max_idle_per_host: 4,
        pool_idle_timeout: Duration::from_secs(5),
    };
    Proxy::new("up", &config, &TaskTracker::new(), CancellationToken::new()).unwrap()
}

fn parts(version: Version, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut builder = Request::builder().version(version).uri(uri);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder.body(()).unwrap().into_parts().0
}

fn rewritten(proxy: &Proxy, parts: &http::request::Parts, trusted: &[Cidr]) -> http::HeaderMap {
    let mut head = parts.headers.clone();
    proxy.rewrite_request(&mut head, parts, "192.0.2.1:5000".parse().unwrap(), trusted);
    head
}

#[test]
fn the_upstream_sees_the_client_host_and_who_forwarded_it() {
    let p = proxy("http://127.0.0.1:9/", true);
    let req = parts(
        Version::HTTP_11,
        "/x",
        &[
            ("host", "site.example"),
            ("connection", "keep-alive"),
            ("expect", "100-continue"),
            ("x-app", "1"),
        ],
    );
    let head = rewritten(&p, &req, &[]);
    assert_eq!(head[header::HOST], "site.example");
    assert_eq!(head["x-forwarded-for"], "192.0.2.1");
    assert_eq!(head["x-forwarded-proto"], "http");
    assert_eq!(head["x-forwarded-host"], "site.example");
    assert_eq!(head[header::VIA], "1.1 scale0");
    assert_eq!(head["x-app"], "1");
    assert!(!head.contains_key(header::CONNECTION));
    assert!(
        !head.contains_key(header::EXPECT),
        "100-continue is ours to answer"
    );
}

#[test]
fn preserve_host_off_sends_the_upstream_authority() {
    let p = proxy("http://127.0.0.1:9/", false);
    let req = parts(Version::HTTP_11, "/x", &[("host", "site.example")]);
    let head = rewritten(&p, &req, &[]);
    assert_eq!(head[header::HOST], "127.0.0.1:9");
    assert_eq!(head["x-forwarded-host"], "site.example");
}

#[test]
fn an_http2_request_gets_its_authority_as_host() {
    let p = proxy("http://127.0.0.1:9/", true);
    let req = parts(Version::HTTP_2, "http://h2.example:8080/x", &[]);
    let head = rewritten(&p, &req, &[]);
    assert_eq!(head[header::HOST], "h2.example:8080");
    assert_eq!(head[header::VIA], "2 scale0");
}

#[test]
fn a_trusted_peer_keeps_its_forwarded_chain() {
    let p = proxy("http://127.0.0.1:9/", true);
    let req = parts(
        Version::HTTP_11,
        "/x",
        &[("host", "h"), ("x-forwarded-for", "203.0.113.5")],
    );
    let trusted = [Cidr::parse("192.0.2.0/24").unwrap()];
    assert_eq!(
        rewritten(&p, &req, &trusted)["x-forwarded-for"],
        "203.0.113.5, 192.0.2.1"
    );
    assert_eq!(
        rewritten(&p, &req, &[])["x-forwarded-for"],
        "192.0.2.1",
        "an untrusted peer's chain is replaced"
    );
}

#[tokio::test]
async fn upstream_faults_answer_502_and_504_with_a_body() {
    let cases = [
        (
            Error::Unreachable {
                target: "up".into(),
                why: "refused".into(),
            },
            StatusCode::BAD_GATEWAY,
        ),
        (
            Error::Timeout {
                target: "up".into(),
                after: Duration::from_secs(1),
                late: progress::Late::Head,
            },
            StatusCode::GATEWAY_TIMEOUT,
        ),
        (
            Error::Failed {
                target: "up".into(),
                why: "closed".into(),
            },
            StatusCode::BAD_GATEWAY,
        ),
    ];
    for (error, status) in cases {
        let response = error.response();
        assert_eq!(response.status(), status);
        let len: usize = response.headers()[header::CONTENT_LENGTH]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body.len(), len);
        assert!(body.starts_with(status.canonical_reason().unwrap().as_bytes()));
    }
}

#[test]
fn a_url_without_host_is_refused() {
    let config = config::Proxy {
        url: "/relative".parse().unwrap(),
        preserve_host: true,
        connect_timeout: Duration::from_secs(1),
        max_idle_per_host: 0,
        pool_idle_timeout: Duration::from_secs(1),
    };
    assert!(Proxy::new("x", &config, &TaskTracker::new(), CancellationToken::new()).is_err());
}

/// A config with one proxy target `up` carrying `keys`.
fn config_with(keys: &str) -> Result<config::Config, config::Error> {
    config::Config::from_toml_str(&format!(
        "[[listener]]\nbind = \"127.0.0.1:0\"\n[[host]]\nname = \"h\"\ndefault = true\n\
         [[host.route]]\npath = \"/\"\ntarget = \"up\"\n\
         [target.up]\ntype = \"proxy\"\nurl = \"http://127.0.0.1:8081/p\"\n{keys}\n"
    ))
}

fn proxy_settings(config: &config::Config) -> config::Proxy {
    match &config.targets[0].kind {
        config::TargetKind::Proxy(p) => p.clone(),
        other => panic!("not a proxy: {other:?}"),
    }
}

#[test]
fn proxy_keys_default_to_the_documented_limits() {
    let p = proxy_settings(&config_with("").unwrap());
    assert!(p.preserve_host);
    assert_eq!(
        p.connect_timeout,
        config::limits::DEFAULT_PROXY_CONNECT_TIMEOUT
    );
    assert_eq!(
        p.max_idle_per_host as u64,
        config::limits::DEFAULT_PROXY_MAX_IDLE_PER_HOST
    );
    assert_eq!(
        p.pool_idle_timeout,
        config::limits::DEFAULT_PROXY_POOL_IDLE_TIMEOUT
    );
}

#[test]
fn proxy_keys_are_read_and_checked() {
    let p = proxy_settings(
        &config_with(
            "preserve_host = false\nconnect_timeout = \"250ms\"\nmax_idle_per_host = 0\npool_idle_timeout = \"2m\"",
        )
        .unwrap(),
    );
    assert!(!p.preserve_host);
    assert_eq!(p.connect_timeout, Duration::from_millis(250));
    assert_eq!(p.max_idle_per_host, 0);
    assert_eq!(p.pool_idle_timeout, Duration::from_secs(120));
    assert!(matches!(
        config_with("max_idle_per_host = 5000"),
        Err(config::Error::OutOfRange { field, .. }) if field == "target.up.max_idle_per_host"
    ));
    assert!(matches!(
        config_with("connect_timeout = \"0s\""),
        Err(config::Error::Duration { field, .. }) if field == "target.up.connect_timeout"
    ));
    assert!(matches!(
        config_with("retries = 3"),
        Err(config::Error::Toml(_))
    ));
}
