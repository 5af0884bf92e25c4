//! The endpoints the native sockets bind and connect: `tcp://host:port` and `ipc://path`.

use std::io;
use std::path::{Path, PathBuf};

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `tcp://host:port`: `host` is an address, a name, `*` (every interface) or `[v6]`; port 0 = any.
    Tcp {
        /// As written, without brackets; `*` becomes `0.0.0.0`.
        host: String,
        /// 0 for `*`.
        port: u16,
    },
    /// `ipc://path`.
    Ipc(PathBuf),
}

/// An endpoint this module does not handle (libzmq does).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("endpoint {0:?} is not tcp://host:port or ipc://path")]
pub struct EndpointError(pub String);

impl Endpoint {
    /// Parses `tcp://host:port` or `ipc://path`. Refused (left to libzmq): other transports, abstract
    /// ipc names (`ipc://@name`), tcp source addresses (`tcp://src;dst`) and interface names given by
    /// libzmq's `eth0` form are not told apart from host names, so they fail at bind instead.
    pub fn parse(endpoint: &str) -> Result<Endpoint, EndpointError> {
        let refuse = || EndpointError(endpoint.to_owned());
        if let Some(path) = endpoint.strip_prefix("ipc://") {
            if path.is_empty() || path.starts_with('@') {
                return Err(refuse());
            }
            return Ok(Endpoint::Ipc(PathBuf::from(path)));
        }
        let rest = endpoint.strip_prefix("tcp://").ok_or_else(refuse)?;
        if rest.contains(';') {
            return Err(refuse());
        }
        let (host, port) = rest.rsplit_once(':').ok_or_else(refuse)?;
        let port = match port {
            "*" => 0,
            digits => digits.parse().map_err(|_| refuse())?,
        };
        let host = match host {
            "*" => "0.0.0.0",
            bracketed if bracketed.starts_with('[') => bracketed
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .ok_or_else(refuse)?,
            plain => plain,
        };
        if host.is_empty() {
            return Err(refuse());
        }
        Ok(Endpoint::Tcp {
            host: host.to_owned(),
            port,
        })
    }

    /// The endpoint as libzmq would print it, with the port actually bound.
    pub fn display_with_port(&self, port: u16) -> String {
        match self {
            Endpoint::Tcp { host, .. } if host.contains(':') => format!("tcp://[{host}]:{port}"),
            Endpoint::Tcp { host, .. } => format!("tcp://{host}:{port}"),
            Endpoint::Ipc(path) => format!("ipc://{}", path.display()),
        }
    }
}

/// Removes a stale socket file at `path` before binding, as libzmq does; anything else there is left
/// (and the bind then fails with `AddrInUse`).
pub(super) fn clear_ipc(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => std::fs::remove_file(path),
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}
