//! Header rewriting between the client and the upstream (RFC 9110 §7.6):
//! hop-by-hop headers are removed both ways, `Via` is added both ways, and
//! the request gains `X-Forwarded-For`, `X-Forwarded-Proto` and
//! `X-Forwarded-Host`, believed from the client only when the peer is one of
//! the gateway's `trusted_proxies`.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::Version;

/// Our pseudonym in `Via` (RFC 9110 §7.6.3): `Via: 1.1 scale0`.
pub const VIA_PSEUDONYM: &str = "scale0";

/// Headers that describe one hop and never cross the proxy, besides the ones
/// `Connection` names and every `Proxy-*` header.
const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// `X-Forwarded-For`.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Proto`.
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// `X-Forwarded-Host`.
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Removes the hop-by-hop headers: `Connection`, the headers it names,
/// `Keep-Alive`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`, `Proxy-*`.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
        .collect();
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
    let proxy: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("proxy-"))
        .cloned()
        .collect();
    for name in proxy {
        headers.remove(name);
    }
}

/// The protocol a message asks to switch to: its `Upgrade` value when
/// `Connection` carries the `upgrade` token (a WebSocket handshake).
pub fn upgrade(headers: &HeaderMap) -> Option<HeaderValue> {
    let asked = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    asked
        .then(|| headers.get(header::UPGRADE).cloned())
        .flatten()
}

/// Puts back `Upgrade: <protocol>` and `Connection: upgrade` after
/// [`strip_hop_by_hop`], for a handshake the proxy passes through.
pub fn restore_upgrade(headers: &mut HeaderMap, protocol: HeaderValue) {
    headers.insert(header::UPGRADE, protocol);
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
}

/// Appends `<version> scale0` to `Via`, `version` being the protocol of the
/// message as received (`1.0`, `1.1` or `2`).
pub fn add_via(headers: &mut HeaderMap, version: Version) {
    let protocol = match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    };
    let ours = format!("{protocol} {VIA_PSEUDONYM}");
    append_to_list(headers, header::VIA, &ours);
}

/// Who sent the request and how, for the `X-Forwarded-*` headers.
#[derive(Debug, Clone, Copy)]
pub struct Forwarded<'a> {
    /// The TCP peer (or the PROXY-protocol source when that peer is trusted).
    pub peer: IpAddr,
    /// Whether `peer` is one of `trusted_proxies`: only then are the client's
    /// own `X-Forwarded-*` headers kept.
    pub peer_trusted: bool,
    /// The host the client asked for (`Host`, or the HTTP/2 authority).
    pub host: Option<&'a HeaderValue>,
    /// `http` or `https`.
    pub proto: &'static str,
}

/// Sets the `X-Forwarded-*` headers: `For` gets the peer appended to the
/// chain a trusted peer sent (an untrusted peer's chain is replaced, so a
/// client cannot forge it); `Proto` and `Host` are ours unless a trusted peer
/// set them.
pub fn add_forwarded(headers: &mut HeaderMap, f: &Forwarded<'_>) {
    if !f.peer_trusted {
        headers.remove(X_FORWARDED_FOR);
        headers.remove(X_FORWARDED_PROTO);
        headers.remove(X_FORWARDED_HOST);
    }
    append_to_list(headers, X_FORWARDED_FOR, &f.peer.to_string());
    if !headers.contains_key(X_FORWARDED_PROTO) {
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(f.proto));
    }
    if let Some(host) = f.host {
        if !headers.contains_key(X_FORWARDED_HOST) {
            headers.insert(X_FORWARDED_HOST, host.clone());
        }
    }
}

/// Joins every `name` value and `item` into one comma-separated value.
fn append_to_list(headers: &mut HeaderMap, name: HeaderName, item: &str) {
    let mut list: Vec<&str> = headers
        .get_all(&name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    list.push(item);
    match HeaderValue::from_str(&list.join(", ")) {
        Ok(value) => {
            headers.insert(name, value);
        }
        Err(_) => {
            tracing::debug!(header = %name, "list not representable; replaced by our item");
            if let Ok(value) = HeaderValue::from_str(item) {
                headers.insert(name, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (k, v) in pairs {
            headers.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn hop_by_hop_headers_and_the_ones_connection_names_are_removed() {
        let mut h = map(&[
            ("connection", "keep-alive, X-Secret"),
            ("connection", "close"),
            ("x-secret", "1"),
            ("keep-alive", "timeout=5"),
            ("te", "trailers"),
            ("trailer", "x-sum"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("proxy-authorization", "Basic eA=="),
            ("proxy-connection", "keep-alive"),
            ("content-length", "5"),
            ("x-kept", "yes"),
        ]);
        strip_hop_by_hop(&mut h);
        let mut left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["content-length", "x-kept"]);
    }

    #[test]
    fn upgrade_needs_the_connection_token_and_the_upgrade_header() {
        let ws = map(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "websocket"),
        ]);
        assert_eq!(upgrade(&ws).unwrap(), "websocket");
        assert!(upgrade(&map(&[("upgrade", "websocket")])).is_none());
        assert!(upgrade(&map(&[("connection", "upgrade")])).is_none());
        let mut h = ws.clone();
        strip_hop_by_hop(&mut h);
        restore_upgrade(&mut h, upgrade(&ws).unwrap());
        assert_eq!(h[header::CONNECTION], "upgrade");
        assert_eq!(h[header::UPGRADE], "websocket");
    }

    #[test]
    fn via_is_appended_with_the_received_version() {
        let mut h = map(&[("via", "1.0 fred")]);
        add_via(&mut h, Version::HTTP_11);
        assert_eq!(h[header::VIA], "1.0 fred, 1.1 scale0");
        let mut h = HeaderMap::new();
        add_via(&mut h, Version::HTTP_2);
        assert_eq!(h[header::VIA], "2 scale0");
    }

    fn forwarded<'a>(peer: &str, trusted: bool, host: Option<&'a HeaderValue>) -> Forwarded<'a> {
        Forwarded {
            peer: peer.parse().unwrap(),
            peer_trusted: trusted,
            host,
            proto: "http",
        }
    }

    #[test]
    fn an_untrusted_peer_cannot_forge_the_forwarded_headers() {
        let host = HeaderValue::from_static("example.com");
        let mut h = map(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "evil"),
        ]);
        add_forwarded(&mut h, &forwarded("192.0.2.7", false, Some(&host)));
        assert_eq!(h[X_FORWARDED_FOR], "192.0.2.7");
        assert_eq!(h[X_FORWARDED_PROTO], "http");
        assert_eq!(h[X_FORWARDED_HOST], "example.com");
    }

    #[test]
    fn a_trusted_peer_keeps_its_chain_and_gets_appended() {
        let host = HeaderValue::from_static("example.com");
        let mut h = map(&[
            ("x-forwarded-for", "203.0.113.9, 10.0.0.2"),
            ("x-forwarded-for", "10.0.0.3"),
            ("x-forwarded-proto", "https"),
        ]);
        add_forwarded(&mut h, &forwarded("127.0.0.1", true, Some(&host)));
        assert_eq!(
            h[X_FORWARDED_FOR],
            "203.0.113.9, 10.0.0.2, 10.0.0.3, 127.0.0.1"
        );
        assert_eq!(h[X_FORWARDED_PROTO], "https");
        assert_eq!(h[X_FORWARDED_HOST], "example.com");
    }

    #[test]
    fn ipv6_peers_are_written_bare() {
        let mut h = HeaderMap::new();
        add_forwarded(&mut h, &forwarded("::1", false, None));
        assert_eq!(h[X_FORWARDED_FOR], "::1");
        assert!(!h.contains_key(X_FORWARDED_HOST));
    }
}
