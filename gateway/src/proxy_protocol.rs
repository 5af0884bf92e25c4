//! The PROXY protocol (HAProxy's, versions 1 and 2), sans-IO: a load balancer
//! in front of the gateway prepends the real client address to the TCP stream.
//! The gateway reads it on listeners with `proxy_protocol = true` and believes
//! it only when the TCP peer is a trusted proxy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Longest v1 header (`PROXY TCP6 <two max IPv6> <two ports>\r\n`), per the spec.
pub const MAX_V1_BYTES: usize = 107;
/// Longest v2 header we accept: 16 fixed bytes plus addresses and TLVs.
pub const MAX_V2_BYTES: usize = 16 + 536;
/// Bytes to look at before deciding (the largest header).
pub const MAX_HEADER_BYTES: usize = MAX_V2_BYTES;

const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";

/// A parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The client's address, or `None` for `UNKNOWN` / `LOCAL` (health checks).
    pub source: Option<SocketAddr>,
    /// Bytes of the stream the header took.
    pub len: usize,
}

/// Why the start of a stream is not a PROXY header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// More bytes are needed to decide.
    #[error("incomplete PROXY header")]
    Incomplete,
    /// The stream does not start with a PROXY header.
    #[error("no PROXY protocol header")]
    Missing,
    /// The header is malformed (the text names the part).
    #[error("malformed PROXY header: {0}")]
    Malformed(&'static str),
}

/// Parses the header at the start of `buf`.
pub fn parse(buf: &[u8]) -> Result<Header, Error> {
    if buf.starts_with(b"PROXY ") {
        return parse_v1(buf);
    }
    let n = buf.len().min(V2_SIGNATURE.len());
    if buf[..n] == V2_SIGNATURE[..n] {
        return if n < V2_SIGNATURE.len() {
            Err(Error::Incomplete)
        } else {
            parse_v2(buf)
        };
    }
    if b"PROXY ".starts_with(&buf[..buf.len().min(6)]) {
        return Err(Error::Incomplete);
    }
    Err(Error::Missing)
}

fn parse_v1(buf: &[u8]) -> Result<Header, Error> {
    let window = &buf[..buf.len().min(MAX_V1_BYTES)];
    let Some(end) = window.windows(2).position(|w| w == b"\r\n") else {
        return if buf.len() >= MAX_V1_BYTES {
            Err(Error::Malformed("v1 line too long"))
        } else {
            Err(Error::Incomplete)
        };
    };
    let line = std::str::from_utf8(&buf[..end]).map_err(|_| Error::Malformed("v1 not ASCII"))?;
    let parts: Vec<&str> = line.split(' ').collect();
    let len = end + 2;
    match parts.as_slice() {
        ["PROXY", "UNKNOWN", ..] => Ok(Header { source: None, len }),
        ["PROXY", family @ ("TCP4" | "TCP6"), src, _dst, sport, _dport] => {
            let ip: IpAddr = src
                .parse()
                .map_err(|_| Error::Malformed("v1 source address"))?;
            if ip.is_ipv4() != (*family == "TCP4") {
                return Err(Error::Malformed("v1 address family"));
            }
            let port: u16 = sport
                .parse()
                .map_err(|_| Error::Malformed("v1 source port"))?;
            Ok(Header {
                source: Some(SocketAddr::new(ip, port)),
                len,
            })
        }
        _ => Err(Error::Malformed("v1 fields")),
    }
}

fn parse_v2(buf: &[u8]) -> Result<Header, Error> {
    let Some(fixed) = buf.get(..16) else {
        return Err(Error::Incomplete);
    };
    let (ver_cmd, family) = (fixed[12], fixed[13]);
    if ver_cmd >> 4 != 2 {
        return Err(Error::Malformed("v2 version"));
    }
    let body_len = usize::from(u16::from_be_bytes([fixed[14], fixed[15]]));
    let len = 16 + body_len;
    if len > MAX_V2_BYTES {
        return Err(Error::Malformed("v2 header too long"));
    }
    let Some(body) = buf.get(16..len) else {
        return Err(Error::Incomplete);
    };
    let source = match (ver_cmd & 0x0f, family >> 4) {
        (0x0, _) => None, // LOCAL: the proxy's own connection (health check)
        (0x1, 0x1) => {
            let a = body
                .get(..12)
                .ok_or(Error::Malformed("v2 IPv4 addresses"))?;
            let ip = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
            Some(SocketAddr::new(ip.into(), u16::from_be_bytes([a[8], a[9]])))
        }
        (0x1, 0x2) => {
            let a = body
                .get(..36)
                .ok_or(Error::Malformed("v2 IPv6 addresses"))?;
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&a[..16]);
            let ip = Ipv6Addr::from(octets);
            Some(SocketAddr::new(
                ip.into(),
                u16::from_be_bytes([a[32], a[33]]),
            ))
        }
        (0x1, _) => None, // UNIX or unspecified: no IP to report
        _ => return Err(Error::Malformed("v2 command")),
    };
    Ok(Header { source, len })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_tcp4_gives_the_source_and_length() {
        let h = parse(b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 80\r\nGET / HTTP/1.1\r\n").unwrap();
        assert_eq!(h.source.unwrap().to_string(), "203.0.113.7:51234");
        assert_eq!(h.len, 42);
    }

    #[test]
    fn v1_tcp6_and_unknown() {
        let h = parse(b"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n").unwrap();
        assert_eq!(h.source.unwrap().ip().to_string(), "2001:db8::1");
        assert_eq!(parse(b"PROXY UNKNOWN\r\n").unwrap().source, None);
    }

    #[test]
    fn partial_headers_ask_for_more_and_garbage_is_refused() {
        assert_eq!(parse(b"PRO"), Err(Error::Incomplete));
        assert_eq!(parse(b"PROXY TCP4 1.2.3.4"), Err(Error::Incomplete));
        assert_eq!(parse(b"\r\n\r\n\0"), Err(Error::Incomplete));
        assert_eq!(parse(b"GET / HTTP/1.1\r\n"), Err(Error::Missing));
        assert!(matches!(
            parse(b"PROXY TCP4 nope 1.2.3.4 1 2\r\n"),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            parse(b"PROXY TCP4 ::1 ::1 1 2\r\n"),
            Err(Error::Malformed(_))
        ));
        let long = [b"PROXY ".as_slice(), &[b'x'; 200]].concat();
        assert!(matches!(parse(&long), Err(Error::Malformed(_))));
    }

    #[test]
    fn v2_ipv4_proxy_and_local() {
        let mut h = V2_SIGNATURE.to_vec();
        h.extend_from_slice(&[
            0x21, 0x11, 0, 12, 198, 51, 100, 9, 10, 0, 0, 1, 0x1f, 0x90, 0, 80,
        ]);
        h.extend_from_slice(b"GET /");
        let parsed = parse(&h).unwrap();
        assert_eq!(parsed.source.unwrap().to_string(), "198.51.100.9:8080");
        assert_eq!(parsed.len, 28);
        let mut local = V2_SIGNATURE.to_vec();
        local.extend_from_slice(&[0x20, 0x00, 0, 0]);
        assert_eq!(
            parse(&local).unwrap(),
            Header {
                source: None,
                len: 16
            }
        );
        assert_eq!(parse(&h[..20]), Err(Error::Incomplete));
    }

    #[test]
    fn v2_refuses_oversized_lengths_before_waiting_for_them() {
        let mut h = V2_SIGNATURE.to_vec();
        h.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
        assert!(matches!(parse(&h), Err(Error::Malformed(_))));
    }
}
