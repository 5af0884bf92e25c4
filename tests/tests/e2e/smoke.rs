//! The smallest stories: the gateway and the example handler answer real
//! clients over HTTP/1.1 (keep-alive, pipelining) and h2c.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use mongrel2_compat::handler::Connection;
use scale0_tests::client::{response_len, split_response, Conn};
use scale0_tests::gateway::{handler_config, Gateway};

const DEADLINE: Duration = Duration::from_secs(10);

/// A gateway with the example handler behind it.
struct Stack {
    gateway: Gateway,
    stop: Arc<AtomicBool>,
    handler: Option<JoinHandle<u64>>,
    _dir: tempfile::TempDir,
}

impl Stack {
    fn start() -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let send = format!("ipc://{}/send", dir.path().display());
        let recv = format!("ipc://{}/recv", dir.path().display());
        let gateway = Gateway::start(&handler_config(&send, &recv, "json", "")).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let handler = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let conn = Connection::connect(None, &send, &recv).unwrap();
                scale0_workers_examples::hello::serve(&conn, &stop).unwrap()
            })
        };
        let stack = Stack {
            gateway,
            stop,
            handler: Some(handler),
            _dir: dir,
        };
        stack.wait_ready();
        stack
    }

    /// Retries a probe until the handler's replies get through (ZeroMQ's slow
    /// joiner can lose the first replies of a fresh PUB connection).
    fn wait_ready(&self) {
        scale0_tests::wait::until("the handler to answer", DEADLINE, || {
            let mut c = Conn::connect(self.gateway.port()).ok()?;
            c.send(b"GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .ok()?;
            let r = c.read_response(Duration::from_millis(500)).ok()?;
            (split_response(&r).ok()?.0 == 200).then_some(())
        })
        .unwrap();
    }

    /// Stops the handler; returns how many requests it answered.
    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handler.take().unwrap().join().unwrap()
    }
}

#[test]
fn gateway_and_example_handler_answer_a_get() {
    let stack = Stack::start();
    let mut client = Conn::connect(stack.gateway.port()).unwrap();
    client
        .send(b"GET /hello?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let response = client.read_response(DEADLINE).unwrap();
    let (status, _, body) = split_response(&response).unwrap();
    assert_eq!(status, 200);
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("GET /hello (conn "), "{body}");
    assert!(body.contains("QUERY: x=1"), "{body}");
    assert!(stack.stop() >= 2, "probe and request answered");
}

#[test]
fn keep_alive_requests_share_a_conn_id_and_pipelined_ones_come_back_in_order() {
    let stack = Stack::start();
    let mut client = Conn::connect(stack.gateway.port()).unwrap();
    let mut pipelined = Vec::new();
    for path in ["/one", "/two", "/three"] {
        pipelined.extend_from_slice(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
        );
    }
    client.send(&pipelined).unwrap();
    let all = client
        .read_until(DEADLINE, |b| count_responses(b) == 3)
        .unwrap();
    let text = String::from_utf8_lossy(&all);
    let at = |p: &str| text.find(&format!("GET {p} (conn ")).unwrap();
    assert!(
        at("/one") < at("/two") && at("/two") < at("/three"),
        "{text}"
    );
    let ids: Vec<&str> = text
        .match_indices("(conn ")
        .map(|(i, _)| text[i + 6..].split(')').next().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one conn id per connection: {ids:?}"
    );
    stack.stop();
}

#[test]
fn curl_over_h2c_with_prior_knowledge_gets_the_page() {
    let stack = Stack::start();
    let out = Command::new("curl")
        .args([
            "-s",
            "--http2-prior-knowledge",
            "-o",
            "-",
            "-w",
            "\n%{http_version} %{http_code}",
        ])
        .arg(format!("http://127.0.0.1:{}/h2?y=2", stack.gateway.port()))
        .output()
        .expect("curl runs (scripts/setup installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.ends_with("\n2 200"), "{text}");
    assert!(text.contains("GET /h2 (conn "), "{text}");
    assert!(
        text.contains("host: 127.0.0.1:"),
        "h2 :authority becomes host: {text}"
    );
    stack.stop();
}

fn count_responses(mut bytes: &[u8]) -> usize {
    let mut n = 0;
    while let Some(len) = response_len(bytes) {
        n += 1;
        bytes = &bytes[len..];
    }
    n
}
