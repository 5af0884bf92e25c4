//! Upstream faults: an unreachable upstream is a 502, a slow one a 504, both
//! with a body, logged with `fault=upstream`; a later request works.

use scale0_tests::gateway::Gateway;
use scale0_tests::ports::free_port;
use scale0_tests::upstream::Upstream;
use scale0_tests::wait;

use super::{config, exchange, WAIT};

#[test]
fn an_unreachable_upstream_is_a_502_with_a_body_and_an_access_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let url = format!("http://127.0.0.1:{}", free_port().unwrap());
    let gateway_extra = format!("access_log = \"{}\"", log.display());
    let gateway = Gateway::start(&config(&url, "/", "", "", &gateway_extra)).unwrap();
    let got = exchange(
        gateway.port(),
        b"GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(got.0, 502);
    assert_eq!(got.2, b"Bad Gateway: the upstream is unreachable\n");
    let line = wait::until("the access log line", WAIT, || {
        std::fs::read_to_string(&log)
            .ok()
            .filter(|text| text.ends_with('\n'))
    })
    .unwrap();
    assert!(line.contains("\"GET /x HTTP/1.1\" 502 "), "{line}");
    assert!(line.contains("target=up fault=upstream"), "{line}");
}

#[test]
fn a_slow_upstream_is_a_504_after_the_reply_timeout_and_the_next_request_works() {
    let upstream = Upstream::start().unwrap();
    let url = format!("http://127.0.0.1:{}", upstream.port);
    let gateway = Gateway::start(&config(&url, "/", "", r#"reply_timeout = "300ms""#, "")).unwrap();
    let started = std::time::Instant::now();
    let got = exchange(
        gateway.port(),
        b"GET /hang HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(got.0, 504);
    assert_eq!(
        got.2,
        b"Gateway Timeout: the upstream did not answer in time\n"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let got = exchange(
        gateway.port(),
        b"GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(got.0, 200);
}
