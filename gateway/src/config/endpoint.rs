//! ZeroMQ endpoints (`tcp://host:port`, `ipc://path`, `inproc://name`), checked when the config is
//! validated so that a typo fails `scale0 check` rather than a bind at startup.

use std::fmt;
use std::path::{Path, PathBuf};

use super::limits::{MAX_ENDPOINT_BYTES, MAX_IPC_PATH_BYTES};

/// A validated ZeroMQ endpoint; keeps the text as written, which is what libzmq is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    spec: String,
    kind: EndpointKind,
}

/// The transport of an [`Endpoint`] and its parsed address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointKind {
    /// `tcp://host:port`; `host` may be an IP, `[v6]`, a name, an interface or `*` (all interfaces).
    Tcp {
        /// The host part, brackets kept for IPv6.
        host: String,
        /// The port, never 0 (handlers must know where to connect).
        port: u16,
    },
    /// `ipc://path`, a Unix socket path (a leading `@` selects Linux's abstract namespace).
    Ipc(PathBuf),
    /// `inproc://name`, within one process (embedded broker and gateway).
    Inproc(String),
}

impl Endpoint {
    /// Parses and checks `spec`; the error is a short reason for the config error message.
    pub fn parse(spec: &str) -> Result<Endpoint, &'static str> {
        if spec.len() > MAX_ENDPOINT_BYTES {
            return Err("longer than 256 bytes");
        }
        if spec.chars().any(char::is_whitespace) {
            return Err("contains whitespace");
        }
        let kind = if let Some(rest) = spec.strip_prefix("tcp://") {
            tcp(rest)?
        } else if let Some(path) = spec.strip_prefix("ipc://") {
            if path.is_empty() {
                return Err("ipc:// needs a path");
            }
            if path.len() > MAX_IPC_PATH_BYTES {
                return Err("ipc path longer than 107 bytes (the Unix socket limit)");
            }
            EndpointKind::Ipc(PathBuf::from(path))
        } else if let Some(name) = spec.strip_prefix("inproc://") {
            if name.is_empty() {
                return Err("inproc:// needs a name");
            }
            EndpointKind::Inproc(name.to_owned())
        } else {
            return Err("expected tcp://host:port, ipc://path or inproc://name");
        };
        Ok(Endpoint {
            spec: spec.to_owned(),
            kind,
        })
    }

    /// The endpoint text as configured, to pass to `bind`/`connect`.
    pub fn as_str(&self) -> &str {
        &self.spec
    }

    /// The transport and address.
    pub fn kind(&self) -> &EndpointKind {
        &self.kind
    }

    /// The socket file of an `ipc://` endpoint outside the abstract namespace, e.g. to remove a
    /// stale one before binding.
    pub fn ipc_path(&self) -> Option<&Path> {
        match &self.kind {
            EndpointKind::Ipc(path) if !self.spec.starts_with("ipc://@") => Some(path),
            _ => None,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spec)
    }
}

/// Parses the `host:port` of a tcp endpoint.
fn tcp(rest: &str) -> Result<EndpointKind, &'static str> {
    let (host, port) = rest.rsplit_once(':').ok_or("tcp:// needs host:port")?;
    if host.is_empty() {
        return Err("tcp:// needs a host (an IP, a name, an interface or *)");
    }
    let bracketed = host.starts_with('[') && host.ends_with(']') && host.len() > 2;
    if host.contains(':') && !bracketed {
        return Err("an IPv6 host must be in brackets: tcp://[::1]:port");
    }
    if host.contains(['/', ';', '@']) {
        return Err("host contains '/', ';' or '@'");
    }
    let port: u16 = port
        .parse()
        .map_err(|_| "port must be a number from 1 to 65535")?;
    if port == 0 {
        return Err("port must be a number from 1 to 65535");
    }
    Ok(EndpointKind::Tcp {
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests panic on failure by design")]
mod tests {
    use super::{Endpoint, EndpointKind};
    use std::path::Path;

    #[test]
    fn accepts_the_three_transports() {
        let tcp = Endpoint::parse("tcp://127.0.0.1:9997").unwrap();
        assert_eq!(
            tcp.kind(),
            &EndpointKind::Tcp {
                host: "127.0.0.1".into(),
                port: 9997
            }
        );
        assert_eq!(tcp.as_str(), "tcp://127.0.0.1:9997");
        assert!(Endpoint::parse("tcp://*:5555").is_ok());
        assert!(Endpoint::parse("tcp://[::1]:5555").is_ok());
        assert!(Endpoint::parse("tcp://localhost:5555").is_ok());
        let ipc = Endpoint::parse("ipc:///tmp/s0/send").unwrap();
        assert_eq!(ipc.ipc_path(), Some(Path::new("/tmp/s0/send")));
        assert_eq!(Endpoint::parse("ipc://@abstract").unwrap().ipc_path(), None);
        assert_eq!(
            Endpoint::parse("inproc://broker").unwrap().kind(),
            &EndpointKind::Inproc("broker".into())
        );
    }

    #[test]
    fn rejects_malformed_endpoints() {
        for bad in [
            "127.0.0.1:9997",
            "udp://127.0.0.1:9",
            "tcp://127.0.0.1",
            "tcp://:9997",
            "tcp://127.0.0.1:0",
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:70000",
            "tcp://::1:5555",
            "tcp://eth0;10.0.0.1:5555",
            "tcp://127.0.0.1: 5",
            "ipc://",
            "inproc://",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad} was accepted");
        }
        let long_ipc = format!("ipc:///{}", "a".repeat(107));
        assert!(Endpoint::parse(&long_ipc).is_err());
        assert!(Endpoint::parse(&format!("inproc://{}", "a".repeat(300))).is_err());
    }
}
