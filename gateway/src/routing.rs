//! Routing: which target serves a request, from its Host header and path, with Mongrel2's rules
//! (docs/mongrel2-protocol.md §6; our differences in docs/config.md):
//!
//! * **Host**: the Host header up to its first `:`; the host whose literal suffix is the longest
//!   suffix of it wins (case-sensitive, not label-aware); a pattern host must also match the whole
//!   rest of the name ([`HostKey`]). Nothing matches, or no Host header → the default host. An
//!   unknown host is never a 404.
//! * **Route**: in that host, the route whose literal prefix is the longest byte prefix of the path
//!   wins; a pattern route must also match the rest of the path from its start ([`RouteKey`]).
//!   Routes with the same prefix are tried in config order. If none of them accepts the path there
//!   is no match (404) — no fallback to a shorter prefix, as in Mongrel2.
//!
//! The [`Router`] is built once from a validated [`Config`] and is read-only, so it can be shared by
//! every connection. It does no I/O.
//!
//! ```
//! use scale0_gateway::{config::Config, routing::Router};
//! let text = r#"
//! [[listener]]
//! bind = "127.0.0.1:6767"
//! [[host]]
//! name = "localhost"
//!   [[host.route]]
//!   path = "/"
//!   target = "app"
//!   [[host.route]]
//!   path = "/api/"
//!   target = "api"
//! [target.app]
//! type = "handler"
//! send_spec = "tcp://127.0.0.1:9997"
//! recv_spec = "tcp://127.0.0.1:9996"
//! [target.api]
//! type = "handler"
//! send_spec = "tcp://127.0.0.1:9995"
//! recv_spec = "tcp://127.0.0.1:9994"
//! "#;
//! let router = Router::new(&Config::from_toml_str(text).unwrap());
//! let found = router.route(Some(b"localhost:6767"), b"/hello").unwrap();
//! assert_eq!((found.target.name.as_str(), found.pattern), ("app", "/"));
//! let found = router.route(None, b"/api/v1").unwrap();
//! assert_eq!((found.target.name.as_str(), found.pattern), ("api", "/api/"));
//! ```

mod host;
mod longest;
pub mod pattern;
mod route;

pub use host::HostKey;
pub use route::RouteKey;

use crate::config::{Config, Host, RouteSettings, Target, TargetId};
use longest::Longest;

/// The routing tables of one config.
#[derive(Debug, Clone)]
pub struct Router {
    hosts: Vec<Host>,
    targets: Vec<Target>,
    by_suffix: Longest,
    by_prefix: Vec<Longest>,
    default_host: Option<usize>,
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<'a> {
    /// The chosen host's name.
    pub host: &'a str,
    /// The route's path exactly as configured: Mongrel2's `PATTERN` request key.
    pub pattern: &'a str,
    /// The target's id in the config.
    pub target_id: TargetId,
    /// The target.
    pub target: &'a Target,
    /// The route's deadlines and limits.
    pub settings: &'a RouteSettings,
}

impl Router {
    /// Builds the tables; the config's hosts and targets are copied, so the router stands alone.
    pub fn new(config: &Config) -> Router {
        let suffix_lens: Vec<usize> = config
            .hosts
            .iter()
            .map(|host| host.matching.suffix().len())
            .collect();
        let by_prefix = config
            .hosts
            .iter()
            .map(|host| {
                let lens: Vec<usize> = host.routes.iter().map(|r| r.path.prefix().len()).collect();
                Longest::new(&lens)
            })
            .collect();
        let default_host = config
            .hosts
            .iter()
            .position(|host| host.default)
            .or((!config.hosts.is_empty()).then_some(0));
        Router {
            hosts: config.hosts.clone(),
            targets: config.targets.clone(),
            by_suffix: Longest::new(&suffix_lens),
            by_prefix,
            default_host,
        }
    }

    /// Routes a request: `host` is the raw Host header value (`None` without one), `path` the raw
    /// request path (before `?`, not decoded). `None` means 404.
    pub fn route(&self, host: Option<&[u8]>, path: &[u8]) -> Option<Match<'_>> {
        let host_index = self.host_index(host)?;
        let host = self.hosts.get(host_index)?;
        let routes = &host.routes;
        let route_index = self.by_prefix.get(host_index)?.find(
            |i| routes.get(i).map_or(0, |route| route.path.prefix().len()),
            |i| {
                routes
                    .get(i)
                    .is_some_and(|route| path.starts_with(route.path.prefix().as_bytes()))
            },
            |i| {
                routes.get(i).is_some_and(|route| {
                    let rest = path.get(route.path.prefix().len()..).unwrap_or_default();
                    route.path.accepts_rest(rest)
                })
            },
        )?;
        let route = routes.get(route_index)?;
        Some(Match {
            host: &host.name,
            pattern: route.path.as_str(),
            target_id: route.target,
            target: self.targets.get(route.target.index())?,
            settings: &route.settings,
        })
    }

    /// The host a Host header value selects (the default host when none matches).
    pub fn host(&self, host: Option<&[u8]>) -> Option<&Host> {
        self.hosts.get(self.host_index(host)?)
    }

    /// Index of the host for a Host header value.
    fn host_index(&self, header: Option<&[u8]>) -> Option<usize> {
        let Some(header) = header else {
            return self.default_host;
        };
        let name = header.split(|&b| b == b':').next().unwrap_or_default();
        let suffix_of = |i: usize| {
            self.hosts
                .get(i)
                .map(|host| host.matching.suffix().as_bytes())
        };
        self.by_suffix
            .find(
                |i| suffix_of(i).map_or(0, <[u8]>::len),
                |i| suffix_of(i).is_some_and(|suffix| name.ends_with(suffix)),
                |i| {
                    let (Some(host), Some(suffix)) = (self.hosts.get(i), suffix_of(i)) else {
                        return false;
                    };
                    let rest = name
                        .len()
                        .checked_sub(suffix.len())
                        .and_then(|end| name.get(..end));
                    rest.is_some_and(|rest| host.matching.accepts_rest(rest))
                },
            )
            .or(self.default_host)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests panic on failure by design"
)]
mod tests;
