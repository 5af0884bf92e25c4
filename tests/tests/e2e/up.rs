//! The README's first command: `scale0 up` (the real binary) runs a gateway,
//! an embedded broker, the example worker and the example handler, and
//! answers curl on `/hello`, `/echo` and `/handler/`; Ctrl-C (SIGINT) stops it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use scale0_tests::procs::binary;

/// How long `scale0 up` may take to start and each request to answer.
const WAIT: Duration = Duration::from_secs(20);

/// The running `scale0 up`, killed when dropped.
struct Up(Child);

impl Drop for Up {
    fn drop(&mut self) {
        let _already_gone = self.0.kill();
        let _reaped = self.0.wait();
    }
}

/// `curl -sS` of `url` with `args`: (HTTP status, body).
fn curl(url: &str, args: &[&str]) -> (String, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-w", "\n%{http_code}"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs (scripts/setup installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (status.to_owned(), body.to_owned())
}

#[test]
fn scale0_up_answers_curl_on_its_three_routes_and_stops_on_sigint() {
    let mut child = Command::new(binary("scale0").unwrap())
        .args(["up", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut up = Up(child);
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let base = loop {
        let line = lines
            .recv_timeout(WAIT)
            .expect("scale0 up prints where it listens");
        if let Some(rest) = line.strip_prefix("scale0 up: listening on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // The worker and the handler join over ipc just after the listener is up.
    let hello = scale0_tests::wait::until("the example worker to answer", WAIT, || {
        let (status, body) = curl(&format!("{base}hello"), &[]);
        (status == "200").then_some(body)
    })
    .unwrap();
    assert!(hello.contains("/hello"), "{hello}");
    let (status, body) = curl(&format!("{base}echo"), &["--data-binary", "ping-pong"]);
    assert_eq!((status.as_str(), body.as_str()), ("200", "ping-pong"));
    let handled = scale0_tests::wait::until("the example handler to answer", WAIT, || {
        let (status, body) = curl(&format!("{base}handler/x"), &[]);
        (status == "200").then_some(body)
    })
    .unwrap();
    assert!(handled.contains("/handler/x"), "{handled}");

    let pid = up.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let exited = scale0_tests::wait::until("scale0 up to stop on SIGINT", WAIT, || {
        up.0.try_wait().ok().flatten()
    })
    .unwrap();
    assert!(exited.success(), "{exited}");
}
