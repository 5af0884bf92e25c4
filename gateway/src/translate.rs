//! HTTP request → Mongrel2 request message, byte-identical to what Mongrel2
//! 1.12 sends for the same request (modulo sender and conn id): the gateway's
//! half of DESIGN.md decision 1. Differences forced by hyper's parser are
//! listed in docs/differences.md.

use std::net::{IpAddr, SocketAddr};

use http::{header, request::Parts, Version};
use mongrel2_compat::request::{Builder, Protocol};

use crate::config::Cidr;

/// Client headers that would impersonate keys only the server may set: a
/// handler trusts `x-mongrel2-upload-*` to name a temp file it then reads.
/// Mongrel2 forwards them; Scale0 drops them (docs/differences.md).
pub const SPOOFABLE: [&str; 2] = ["x-mongrel2-upload-start", "x-mongrel2-upload-done"];

/// What the handler is told about the request besides its own bytes.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The SENDER field (the target's `send_ident`).
    pub sender: &'a str,
    /// The Mongrel2 conn id.
    pub conn_id: u64,
    /// Header encoding of the target.
    pub protocol: Protocol,
    /// The matching route's pattern, exactly as configured (the `PATTERN` key).
    pub pattern: &'a str,
    /// The TCP peer (or the PROXY-protocol source when the peer is trusted).
    pub peer: SocketAddr,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: &'a [Cidr],
    /// `http` or `https`.
    pub scheme: &'a str,
}

/// The request as a Mongrel2 message, or why it cannot be one.
pub fn to_message(
    parts: &Parts,
    body: &[u8],
    ctx: &Context<'_>,
) -> Result<Vec<u8>, mongrel2_compat::request::BuildError> {
    to_message_with(parts, body, ctx, |builder| builder)
}

/// [`to_message`] with a last say over the builder: WebSocket messages set
/// their own `METHOD` and `FLAGS` on top of the handshake's keys.
pub fn to_message_with(
    parts: &Parts,
    body: &[u8],
    ctx: &Context<'_>,
    adjust: impl for<'b> FnOnce(Builder<'b>) -> Builder<'b>,
) -> Result<Vec<u8>, mongrel2_compat::request::BuildError> {
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    let version: &[u8] = match parts.version {
        Version::HTTP_10 | Version::HTTP_09 => b"HTTP/1.0",
        _ => b"HTTP/1.1",
    };
    let client = client_addr(ctx.peer.ip(), parts, ctx.trusted_proxies);
    let mut text = [0u8; IP_TEXT_BYTES];
    let remote_addr = ip_text(client, &mut text);
    let trusted_xff = client != ctx.peer.ip();
    let authority = (parts.version == Version::HTTP_2 && !parts.headers.contains_key(header::HOST))
        .then(|| parts.uri.authority().map(|a| a.as_str()))
        .flatten();
    let headers = authority
        .map(|a| (header::HOST.as_str().as_bytes(), a.as_bytes()))
        .into_iter()
        .chain(
            parts
                .headers
                .iter()
                .filter(|(name, _)| !SPOOFABLE.contains(&name.as_str()))
                .map(|(name, value)| (name.as_str().as_bytes(), value.as_bytes())),
        );
    let built = Builder::new(ctx.sender.as_bytes(), ctx.conn_id, ctx.protocol)
        .path(path.as_bytes())
        .method(parts.method.as_str().as_bytes())
        .version(version)
        .uri(path_and_query.as_bytes())
        .query(query.map(str::as_bytes))
        .pattern(ctx.pattern.as_bytes())
        .url_scheme(ctx.scheme.as_bytes())
        .remote_addr(remote_addr)
        .x_forwarded_for((!trusted_xff).then_some(remote_addr))
        .headers(headers)
        .body(body);
    let built = adjust(built).build()?;
    for dropped in &built.dropped {
        tracing::debug!(
            conn_id = ctx.conn_id,
            header = %String::from_utf8_lossy(dropped.name),
            "header value dropped as Mongrel2 does: {:?}",
            dropped.reason
        );
    }
    Ok(built.request.to_vec())
}

/// Room for the longest IP address text (an IPv4-mapped IPv6 address is 45 bytes).
const IP_TEXT_BYTES: usize = 46;

/// `ip` as text, as `Display` writes it, in `buf`: no allocation, and IPv4 (almost every
/// request) without the formatting machinery, on the path of every request.
fn ip_text(ip: IpAddr, buf: &mut [u8; IP_TEXT_BYTES]) -> &[u8] {
    match ip {
        IpAddr::V4(v4) => {
            let mut n = 0;
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    buf[n] = b'.';
                    n += 1;
                }
                if octet >= 100 {
                    buf[n] = b'0' + octet / 100;
                    n += 1;
                }
                if octet >= 10 {
                    buf[n] = b'0' + octet / 10 % 10;
                    n += 1;
                }
                buf[n] = b'0' + octet % 10;
                n += 1;
            }
            &buf[..n]
        }
        IpAddr::V6(_) => {
            use std::io::Write;
            let mut cursor = std::io::Cursor::new(&mut buf[..]);
            // Any IPv6 text fits in the buffer; should it not, the text is cut, never a panic.
            let _fits = write!(cursor, "{ip}");
            let n = usize::try_from(cursor.position()).unwrap_or(0);
            &buf[..n.min(IP_TEXT_BYTES)]
        }
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which
/// case the right-most `X-Forwarded-For` entry that is not itself trusted (as
/// nginx's `real_ip_recursive`).
pub fn client_addr(peer: IpAddr, parts: &Parts, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    let entries = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for entry in entries.iter().rev() {
        let Ok(ip) = entry.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_text_is_what_display_writes() {
        let ips = [
            "0.0.0.0",
            "127.0.0.1",
            "10.20.100.255",
            "9.99.199.200",
            "255.255.255.255",
            "::1",
            "2001:db8::8a2e:370:7334",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:255.255.255.255",
            "fe80::1:2:3:4",
        ];
        for ip in ips {
            let ip: IpAddr = ip.parse().unwrap();
            let mut buf = [0u8; IP_TEXT_BYTES];
            assert_eq!(ip_text(ip, &mut buf), ip.to_string().as_bytes(), "{ip}");
        }
    }

    fn parts(xff: &[&str]) -> Parts {
        let mut b = http::Request::builder().uri("/x");
        for v in xff {
            b = b.header("x-forwarded-for", *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_claims() {
        let p = parts(&["1.2.3.4"]);
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        assert_eq!(client_addr(peer, &p, &[]), peer);
    }

    #[test]
    fn trusted_proxy_yields_the_rightmost_untrusted_forwarded_address() {
        let trusted = [
            Cidr::parse("127.0.0.0/8").unwrap(),
            Cidr::parse("10.0.0.0/8").unwrap(),
        ];
        let p = parts(&["6.6.6.6, 1.2.3.4", "10.1.1.1"]);
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(client_addr(peer, &p, &trusted).to_string(), "1.2.3.4");
    }

    #[test]
    fn garbage_in_forwarded_for_stops_the_walk() {
        let trusted = [Cidr::parse("127.0.0.1").unwrap()];
        let p = parts(&["1.2.3.4, nonsense"]);
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(client_addr(peer, &p, &trusted), peer);
    }

    #[test]
    fn clients_cannot_forge_upload_keys() {
        let p = http::Request::builder()
            .uri("/up")
            .header("x-mongrel2-upload-done", "/etc/passwd")
            .header("x-mongrel2-upload-start", "/etc/passwd")
            .header("host", "localhost")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        let ctx = Context {
            sender: "s",
            conn_id: 1,
            protocol: Protocol::Json,
            pattern: "/",
            peer: "127.0.0.1:5000".parse().unwrap(),
            trusted_proxies: &[],
            scheme: "http",
        };
        let frame = to_message(&p, b"", &ctx).unwrap();
        let text = String::from_utf8_lossy(&frame);
        assert!(!text.contains("x-mongrel2-upload"), "{text}");
        assert!(text.contains("\"host\":\"localhost\""), "{text}");
    }

    #[test]
    fn message_matches_mongrel2_for_a_simple_get() {
        let p = http::Request::builder()
            .uri("/hello")
            .header("accept", "*/*")
            .header("user-agent", "m2lab/1.0")
            .header("host", "localhost")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        let ctx = Context {
            sender: "34f9ceee-cd52-4b7f-b197-88bf2f0ec378",
            conn_id: 1,
            protocol: Protocol::Json,
            pattern: "/",
            peer: "127.0.0.1:5000".parse().unwrap(),
            trusted_proxies: &[],
            scheme: "http",
        };
        let frame = to_message(&p, b"", &ctx).unwrap();
        let expected = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/mongrel2-captures/json-01-simple-get/02-m2-to-handler.bin"
        ))
        .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&frame),
            String::from_utf8_lossy(&expected)
        );
    }
}
