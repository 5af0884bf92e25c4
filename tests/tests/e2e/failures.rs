//! Every way a request must end when something goes wrong, one test each: the
//! status, body text and headers a user would check, and what the handler is
//! told (disconnect notices). Deadlines in these configs are short so the
//! whole story runs in seconds; nothing sleeps to wait.
//!
//! `client_faults`: the client's fault (404, 400, 431, 413, connection limits,
//! slow clients); `handler_faults`: the handler's fault or absence (503, 504,
//! 502, a stalled stream); `notices`: who closes a connection and who is told.

mod client_faults;
mod handler_faults;
mod notices;

use std::time::Duration;

use mongrel2_compat::handler::{Connection, Incoming};
use scale0_tests::client::{split_response, Conn};
use scale0_tests::gateway::Gateway;
use scale0_tests::mongrel2::DEFAULT_SEND_IDENT;

/// The reply deadline of the probe route (and most configs here).
pub const REPLY_TIMEOUT: Duration = Duration::from_millis(300);
/// Extra time an answer may take beyond its deadline on a loaded test box.
pub const SLACK: Duration = Duration::from_secs(3);
/// How long a test waits for an event that should come at once.
pub const WAIT: Duration = Duration::from_secs(10);
/// The path of the readiness probe route (reply deadline [`REPLY_TIMEOUT`]).
const PROBE: &str = "/probe";
/// The body of a disconnect notice.
const DISCONNECT: &[u8] = br#"{"type":"disconnect"}"#;

/// A gateway config: one listener (with `listener` keys), `defaults`, and
/// `routes` (paths) all to the handler target `app` on ipc endpoints in `dir`;
/// a route [`PROBE`] gets the short reply deadline.
pub fn config(dir: &std::path::Path, defaults: &str, listener: &str, routes: &[&str]) -> String {
    let mut text = format!(
        r#"[gateway]
sender_id = "{DEFAULT_SEND_IDENT}"
shutdown_grace = "1s"

[[listener]]
bind = "127.0.0.1:0"
{listener}

[defaults]
{defaults}

[[host]]
name = "localhost"
"#
    );
    for path in routes {
        text.push_str(&format!(
            "\n[[host.route]]\npath = \"{path}\"\ntarget = \"app\"\n"
        ));
        if *path == PROBE {
            text.push_str("reply_timeout = \"300ms\"\n");
        }
    }
    text.push_str(&format!(
        "\n[target.app]\ntype = \"handler\"\nsend_spec = \"{}\"\nrecv_spec = \"{}\"\n",
        send_spec(dir),
        recv_spec(dir)
    ));
    text
}

fn send_spec(dir: &std::path::Path) -> String {
    format!("ipc://{}/send", dir.display())
}

fn recv_spec(dir: &std::path::Path) -> String {
    format!("ipc://{}/recv", dir.display())
}

/// A gateway with no handler connected (client-side failures need none).
pub fn gateway(defaults: &str, listener: &str, routes: &[&str]) -> (Gateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::start(&config(dir.path(), defaults, listener, routes)).unwrap();
    (gateway, dir)
}

/// A gateway with routes `/` and [`PROBE`] and a Rust handler driven by the
/// test thread itself, whose replies are known to reach the gateway.
pub struct Rig {
    /// The gateway under test.
    pub gateway: Gateway,
    /// The handler's sockets; the test receives and replies by hand.
    pub handler: Connection,
    _dir: tempfile::TempDir,
}

impl Rig {
    /// Starts the gateway with `defaults` and connects the handler.
    pub fn start(defaults: &str) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let gateway = Gateway::start(&config(dir.path(), defaults, "", &["/", PROBE])).unwrap();
        let handler =
            Connection::connect(None, &send_spec(dir.path()), &recv_spec(dir.path())).unwrap();
        let rig = Rig {
            gateway,
            handler,
            _dir: dir,
        };
        rig.probe();
        rig
    }

    /// A new client connection to the gateway.
    pub fn client(&self) -> Conn {
        Conn::connect(self.gateway.port()).unwrap()
    }

    /// A client that has sent `GET path`.
    pub fn send_get(&self, path: &str) -> Conn {
        let mut client = self.client();
        client
            .send(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .unwrap();
        client
    }

    /// A client that has sent `GET path`, and the request as the handler got it.
    pub fn get(&self, path: &str) -> (Conn, Incoming) {
        let client = self.send_get(path);
        let (incoming, _) = self.next_request();
        (client, incoming)
    }

    /// The next HTTP request the handler receives, and the conn ids of the
    /// disconnect notices that came before it.
    pub fn next_request(&self) -> (Incoming, Vec<u64>) {
        let mut notices = Vec::new();
        loop {
            let incoming = self.recv();
            let request = incoming.request().unwrap();
            if !request.is_notice() {
                return (incoming, notices);
            }
            if request.body == DISCONNECT {
                notices.push(request.conn_id);
            }
        }
    }

    /// Waits for the disconnect notice for `conn_id`, skipping notices for
    /// other ids (earlier probes); a request in between is a failure.
    pub fn expect_disconnect(&self, conn_id: u64) {
        loop {
            let incoming = self.recv();
            let request = incoming.request().unwrap();
            assert!(
                request.is_notice(),
                "expected a disconnect notice for conn {conn_id}, got a request for {:?}",
                String::from_utf8_lossy(request.path)
            );
            if request.conn_id == conn_id && request.body == DISCONNECT {
                return;
            }
        }
    }

    fn recv(&self) -> Incoming {
        self.handler
            .recv_timeout(WAIT)
            .unwrap()
            .unwrap_or_else(|| panic!("the handler received nothing within {WAIT:?}"))
    }

    /// Sends probe requests until one reply gets through: replies from a PUB
    /// socket that connected moments ago are lost until the gateway's
    /// subscription reaches it (ZeroMQ's slow joiner); a lost one is a 504.
    fn probe(&self) {
        let start = std::time::Instant::now();
        loop {
            let (mut client, incoming) = self.get(PROBE);
            let request = incoming.request().unwrap();
            self.handler
                .reply_http(&request, b"ready\n", 200, "OK", &[])
                .unwrap();
            let response = client.read_response(REPLY_TIMEOUT + SLACK).unwrap();
            if split_response(&response).unwrap().0 == 200 {
                return;
            }
            assert!(
                start.elapsed() < WAIT,
                "no probe reply got through in {WAIT:?}"
            );
        }
    }
}

/// The value of header `name` (lower case) in a split response.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}
