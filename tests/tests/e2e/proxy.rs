//! `proxy` targets with real parts: a real HTTP/1.1 upstream
//! ([`scale0_tests::upstream`]), the gateway in front of it, real clients
//! (raw TCP, curl, Python `websockets`), and Mongrel2's own `Proxy` beside
//! it for the differential stories.

mod differential;
mod failures;
mod pass_through;
mod streaming;
mod websocket;

use std::time::Duration;

use scale0_tests::client::{split_response, Conn, Split};
use scale0_tests::gateway::Gateway;

/// How long one exchange may take end to end.
pub const WAIT: Duration = Duration::from_secs(20);

/// A gateway routing `route` on host `localhost` (the default host) to a
/// proxy target `up` at `url`; `target_extra` and `route_extra` are TOML
/// lines added to the target and the route, `gateway_extra` to `[gateway]`.
pub fn config(
    url: &str,
    route: &str,
    target_extra: &str,
    route_extra: &str,
    gateway_extra: &str,
) -> String {
    format!(
        r#"[gateway]
{gateway_extra}

[[listener]]
bind = "127.0.0.1:0"

[[host]]
name = "localhost"
default = true
  [[host.route]]
  path = "{route}"
  target = "up"
  {route_extra}

[target.up]
type = "proxy"
url = "{url}"
{target_extra}
"#
    )
}

/// A gateway proxying `/` to the upstream on `port`.
pub fn gateway_to(port: u16) -> Gateway {
    Gateway::start(&config(
        &format!("http://127.0.0.1:{port}"),
        "/",
        "",
        "",
        "",
    ))
    .unwrap()
}

/// Sends `request` on a fresh connection and reads one response.
pub fn exchange(port: u16, request: &[u8]) -> Split {
    let mut conn = Conn::connect(port).unwrap();
    conn.send(request).unwrap();
    split_response(&conn.read_response(WAIT).unwrap()).unwrap()
}

/// The value of header `name` (lower case) in a split response.
pub fn header<'a>(split: &'a Split, name: &str) -> Option<&'a str> {
    split
        .1
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
