//! One model of a Mongrel2 configuration, filled either from an m2sh file
//! ([`conf`](super::conf)) or from the SQLite database `m2sh load` writes
//! ([`sqlite`](super::sqlite)), so the two produce the same TOML. It holds what the database
//! holds: text fields are `None` where m2sh would store NULL (a parameter left out), and targets
//! are compared by content, since the database keeps no variable names.

use super::error::{Error, Warning};

/// A whole configuration: its servers, and the process-wide tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    /// Servers in `servers = [...]` order (database: by id).
    pub servers: Vec<Server>,
    /// `settings = {...}`: key and value as text (m2sh stores every value as text), in key order.
    pub settings: Vec<(String, String)>,
    /// `mimetypes = {...}`: extension and type (the database also holds m2sh's built-in table).
    pub mimetypes: Vec<(String, String)>,
    /// What was skipped while reading (m2sh skips the same things with an error message).
    pub skipped: Vec<Warning>,
}

/// A `Server(...)`: one Mongrel2 process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Server {
    /// `uuid`: the sender id of its requests.
    pub uuid: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `bind_addr` (m2sh's default `0.0.0.0`).
    pub bind_addr: Option<String>,
    /// `port`.
    pub port: Option<u64>,
    /// `access_log` (inside `chroot`).
    pub access_log: Option<String>,
    /// `error_log` (inside `chroot`).
    pub error_log: Option<String>,
    /// `chroot`.
    pub chroot: Option<String>,
    /// `pid_file` (inside `chroot`).
    pub pid_file: Option<String>,
    /// `control_port`.
    pub control_port: Option<String>,
    /// `default_host`: a host *name*.
    pub default_host: Option<String>,
    /// `use_ssl`.
    pub use_ssl: bool,
    /// `hosts = [...]` in order.
    pub hosts: Vec<Host>,
    /// `filters = [...]`: the `.so` path of each.
    pub filters: Vec<String>,
    /// `xrequests = [...]`: the `.so` path of each.
    pub xrequests: Vec<String>,
}

impl Server {
    /// How warnings and errors name it: `Server "main"` or `Server uuid "..."`.
    pub fn label(&self) -> String {
        match (&self.name, &self.uuid) {
            (Some(name), _) => format!("Server {name:?}"),
            (None, Some(uuid)) => format!("Server uuid {uuid:?}"),
            (None, None) => "Server".to_owned(),
        }
    }
}

/// A `Host(...)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    /// `name`.
    pub name: String,
    /// `matching` (m2sh stores `name` when it is left out).
    pub matching: String,
    /// `routes = {...}`; order is not significant (m2sh's load order is not the file's).
    pub routes: Vec<Route>,
}

/// One entry of a routes dict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The key: literal prefix, optionally followed by a pattern.
    pub path: String,
    /// What it sends to.
    pub target: Target,
}

/// What a route sends to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// `Handler(...)`.
    Handler(Handler),
    /// `Dir(...)`.
    Dir(Dir),
    /// `Proxy(...)`.
    Proxy(Proxy),
}

impl Target {
    /// The m2sh class name.
    pub fn class(&self) -> &'static str {
        match self {
            Target::Handler(_) => "Handler",
            Target::Dir(_) => "Dir",
            Target::Proxy(_) => "Proxy",
        }
    }
}

/// `Handler(send_spec, send_ident, recv_spec, recv_ident, raw_payload, protocol)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Handler {
    /// Where Mongrel2 binds PUSH.
    pub send_spec: Option<String>,
    /// The UUID field of requests.
    pub send_ident: Option<String>,
    /// Where Mongrel2 binds SUB.
    pub recv_spec: Option<String>,
    /// The SUB subscription.
    pub recv_ident: Option<String>,
    /// `raw_payload` (0 unless set).
    pub raw_payload: u64,
    /// `protocol`: `json` (default) or `tnetstring`.
    pub protocol: Option<String>,
}

/// `Dir(base, index_file, default_ctype, cache_ttl)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dir {
    /// The directory served (inside `chroot`).
    pub base: Option<String>,
    /// File for paths ending in `/`.
    pub index_file: Option<String>,
    /// Type for unknown extensions.
    pub default_ctype: Option<String>,
    /// `cache_ttl` (0 unless set).
    pub cache_ttl: u64,
}

/// `Proxy(addr, port)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Proxy {
    /// Backend address.
    pub addr: Option<String>,
    /// Backend port.
    pub port: Option<u64>,
}

impl Site {
    /// The server to convert: the one `wanted` names (by name or uuid), else the first.
    /// A warning names the servers left out.
    pub fn pick(&self, wanted: Option<&str>) -> Result<(&Server, Option<Warning>), Error> {
        let first = self.servers.first().ok_or(Error::NoServer)?;
        let chosen = match wanted {
            None => first,
            Some(wanted) => self
                .servers
                .iter()
                .find(|s| s.name.as_deref() == Some(wanted) || s.uuid.as_deref() == Some(wanted))
                .ok_or_else(|| Error::UnknownServer {
                    wanted: wanted.to_owned(),
                    available: self.server_list(),
                })?,
        };
        let others: Vec<String> = self
            .servers
            .iter()
            .filter(|s| !std::ptr::eq(*s, chosen))
            .map(|s| match &s.uuid {
                Some(uuid) => format!("{} (uuid {uuid})", s.label()),
                None => s.label(),
            })
            .collect();
        let warning = (!others.is_empty()).then(|| {
            Warning::new(
                "servers",
                format!(
                    "{} servers defined; converted {} (one Scale0 gateway per Mongrel2 server); \
                     not converted: {} (choose with --server NAME|UUID)",
                    self.servers.len(),
                    chosen.label(),
                    others.join(", ")
                ),
            )
        });
        Ok((chosen, warning))
    }

    fn server_list(&self) -> String {
        self.servers
            .iter()
            .map(|s| {
                format!(
                    "{} ({})",
                    s.name.as_deref().unwrap_or("?"),
                    s.uuid.as_deref().unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}
