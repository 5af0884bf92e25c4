//! IP networks for `gateway.trusted_proxies`: only peers inside one of them may set the client
//! address through `X-Forwarded-For` or a PROXY header.

use std::fmt;
use std::net::IpAddr;

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `::1/128`); a bare address is a single-host network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix_len: u8,
}

impl Cidr {
    /// Parses `addr` or `addr/len`; bits of `addr` beyond the prefix are cleared, so `10.1.2.3/8`
    /// means `10.0.0.0/8`.
    pub fn parse(text: &str) -> Result<Cidr, &'static str> {
        let (addr, len) = match text.split_once('/') {
            Some((addr, len)) => (addr, Some(len)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| "not an IPv4 or IPv6 address")?;
        let max_len = if addr.is_ipv4() { 32 } else { 128 };
        let prefix_len = match len {
            None => max_len,
            Some(len) => len
                .parse::<u8>()
                .ok()
                .filter(|len| *len <= max_len)
                .ok_or("prefix length must be 0-32 (IPv4) or 0-128 (IPv6)")?,
        };
        Ok(Cidr {
            network: mask(addr, prefix_len),
            prefix_len,
        })
    }

    /// Whether `addr` is in the network; IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) count as
    /// the IPv4 address they carry, since dual-stack sockets report IPv4 peers that way.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        addr.is_ipv4() == self.network.is_ipv4() && mask(addr, self.prefix_len) == self.network
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

/// Clears the bits of `addr` after the first `prefix_len`.
fn mask(addr: IpAddr, prefix_len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = u32::MAX
                .checked_shl(32 - u32::from(prefix_len))
                .unwrap_or(0);
            IpAddr::V4((bits & kept).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = u128::MAX
                .checked_shl(128 - u32::from(prefix_len))
                .unwrap_or(0);
            IpAddr::V6((bits & kept).into())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests panic on failure by design")]
mod tests {
    use super::Cidr;

    fn ip(text: &str) -> std::net::IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(net.contains(ip("10.200.1.1")));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.0.0.1")));
        assert!(!net.contains(ip("::1")));
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
    }

    #[test]
    fn bare_addresses_and_edge_prefixes() {
        let one = Cidr::parse("192.168.1.7").unwrap();
        assert!(one.contains(ip("192.168.1.7")) && !one.contains(ip("192.168.1.8")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("2001:db8::1")));
        assert_eq!(Cidr::parse("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
    }

    #[test]
    fn malformed_networks_are_rejected() {
        for bad in [
            "",
            "10.0.0",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/x",
            "10.0.0.0/",
            "host",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
