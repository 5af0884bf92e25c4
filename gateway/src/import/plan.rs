//! One Mongrel2 server → what the TOML will say: hosts with their routes in the order Scale0 will
//! try them, and one named target per distinct Handler, Dir or Proxy. Everything here depends only
//! on the model, never on variable names or file order, so an m2sh file and the database `m2sh
//! load` made from it plan the same.
//!
//! * Targets are equal when their content is equal (the database keeps no variable names, and m2sh
//!   writes one row per object). Each is named after the first route that uses it (see [`names`]).
//! * Routes are sorted by literal prefix, pattern routes before a plain route with the same prefix
//!   (the plain one accepts anything, and Scale0 tries same-prefix routes in file order).

use std::collections::HashSet;

use super::error::Warning;
use super::model::{Host, Server, Target};

pub mod names;

/// The hosts and targets of the converted config, plus what could not be converted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Hosts in the server's order.
    pub hosts: Vec<PlanHost>,
    /// Targets in order of first use.
    pub targets: Vec<PlanTarget>,
    /// What was skipped or changed, and why.
    pub warnings: Vec<Warning>,
}

/// A host to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanHost {
    /// `name`.
    pub name: String,
    /// `matching`, when it differs from `name`.
    pub matching: Option<String>,
    /// `default = true`.
    pub default: bool,
    /// `(path, target name)` in the order to write.
    pub routes: Vec<(String, String)>,
}

/// A target to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTarget {
    /// `[target.NAME]`.
    pub name: String,
    /// What it is, with paths already placed in the chroot.
    pub target: Target,
    /// `host "path"` of each route using it, for the comment.
    pub used_by: Vec<String>,
}

/// Plans `server`.
pub fn plan(server: &Server) -> Plan {
    let mut plan = Plan::default();
    let mut names = names::Names::default();
    let mut seen_names = HashSet::new();
    let mut seen_matchings = HashSet::new();
    for host in &server.hosts {
        let object = format!("Host {:?}", host.name);
        if host.name.is_empty() {
            plan.warnings
                .push(Warning::new(object, "has no name; not converted"));
            continue;
        }
        if !seen_names.insert(host.name.as_str()) || !seen_matchings.insert(host.matching.as_str())
        {
            plan.warnings.push(Warning::new(
                object,
                "a second host with this name or matching; not converted (Scale0 needs them unique)",
            ));
            continue;
        }
        let routes = plan_routes(server, host, &mut names, &mut plan.warnings);
        if routes.is_empty() {
            plan.warnings.push(Warning::new(
                object,
                "has no route that could be converted; host not converted",
            ));
            continue;
        }
        plan.hosts.push(PlanHost {
            name: host.name.clone(),
            matching: (host.matching != host.name).then(|| host.matching.clone()),
            default: false,
            routes,
        });
    }
    settle_default(server, &mut plan);
    let (targets, warnings) = names.finish();
    plan.targets = targets;
    plan.warnings.extend(warnings);
    plan
}

/// The routes of one host in Scale0's order, each with its target name.
fn plan_routes(
    server: &Server,
    host: &Host,
    names: &mut names::Names,
    warnings: &mut Vec<Warning>,
) -> Vec<(String, String)> {
    let mut routes: Vec<_> = host.routes.iter().collect();
    routes.sort_by(|a, b| route_order(&a.path).cmp(&route_order(&b.path)));
    let mut out = Vec::with_capacity(routes.len());
    for route in &routes {
        let object = format!("Host {:?} route {:?}", host.name, route.path);
        match names.assign(server, &host.name, &route.path, &route.target) {
            Ok((name, note)) => {
                if let Some(note) = note {
                    warnings.push(Warning::new(&object, note));
                }
                out.push((route.path.clone(), name));
            }
            Err(reason) => warnings.push(Warning::new(object, reason)),
        }
    }
    for pair in routes.windows(2) {
        if let [a, b] = pair {
            let (prefix, _) = split(&a.path);
            if prefix == split(&b.path).0 && (a.path.contains('(') || b.path.contains('(')) {
                warnings.push(Warning::new(
                    format!("Host {:?} routes {:?} and {:?}", host.name, a.path, b.path),
                    "share a prefix: Mongrel2 tries them in m2sh's load order, Scale0 in the \
                     written order (patterns first, then by bytes); check they stay apart",
                ));
            }
        }
    }
    out
}

/// Sort key of a route: literal prefix, then pattern routes before the plain one, then the path.
fn route_order(path: &str) -> (&str, bool, &str) {
    let (prefix, pattern) = split(path);
    (prefix, pattern.is_none(), path)
}

/// A route key's literal prefix and pattern (Mongrel2 splits at the first `(`).
fn split(path: &str) -> (&str, Option<&str>) {
    match path.find('(') {
        Some(open) => (&path[..open], Some(&path[open..])),
        None => (path, None),
    }
}

/// Marks the server's `default_host`; if it names no converted host, the first host.
fn settle_default(server: &Server, plan: &mut Plan) {
    let wanted = server.default_host.as_deref().filter(|h| !h.is_empty());
    if let Some(host) = plan
        .hosts
        .iter_mut()
        .find(|h| Some(h.name.as_str()) == wanted)
    {
        host.default = true;
        return;
    }
    if let Some(first) = plan.hosts.first_mut() {
        first.default = true;
        let first = first.name.clone();
        plan.warnings.push(Warning::new(
            server.label(),
            match wanted {
                Some(name) => format!(
                    "default_host {name:?} is not a converted host (Mongrel2 would refuse to \
                     start); host {first:?} made the default"
                ),
                None => format!("no default_host; host {first:?} made the default"),
            },
        ));
    }
}

#[cfg(test)]
mod tests;
