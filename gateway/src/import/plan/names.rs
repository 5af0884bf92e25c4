//! Target naming and de-duplication. A target is named after the first route that uses it (hosts
//! in order, routes in Scale0's order): the route's literal prefix with every character outside
//! `A-Z a-z 0-9 _ .` turned into `-` (`/handlertest` → `handlertest`, `@chat` → `chat`, `/` →
//! `root`); a name already taken gets the kind appended (`chat-proxy`), then a number.

use crate::config::limits::{MAX_IDENT_BYTES, MAX_TARGET_NAME_BYTES};

use super::super::error::Warning;
use super::super::model::{Dir, Handler, Proxy, Server, Target};
use super::{split, PlanTarget};

/// Longest name taken from a route, leaving room for `-proxy-99`.
const MAX_SLUG_BYTES: usize = MAX_TARGET_NAME_BYTES - 16;

/// The targets named so far.
#[derive(Debug, Default)]
pub struct Names {
    targets: Vec<PlanTarget>,
    warnings: Vec<Warning>,
}

impl Names {
    /// The name of the target for route `path` of host `host`; `Ok` may carry a note on how it was
    /// converted, `Err` says why the route cannot be.
    pub fn assign(
        &mut self,
        server: &Server,
        host: &str,
        path: &str,
        target: &Target,
    ) -> Result<(String, Option<String>), String> {
        let original = target;
        let target = prepare(server, target)?;
        let used = format!("{host} {path:?}");
        if let Some(known) = self.targets.iter_mut().find(|t| t.target == target) {
            known.used_by.push(used);
            return Ok((known.name.clone(), None));
        }
        if let Target::Handler(handler) = &target {
            if let Some(clash) = self
                .targets
                .iter_mut()
                .find(|t| shares_endpoint(&t.target, handler))
            {
                clash.used_by.push(used);
                return Ok((
                    clash.name.clone(),
                    Some(format!(
                        "its Handler binds an endpoint of target {:?} with other settings; \
                         routed to {:?} (Scale0 binds each endpoint once)",
                        clash.name, clash.name
                    )),
                ));
            }
        }
        let name = self.unique(path, &target);
        self.warnings.extend(notes(&name, original, &target));
        self.targets.push(PlanTarget {
            name: name.clone(),
            target,
            used_by: vec![used],
        });
        Ok((name, None))
    }

    /// The targets and the warnings about them.
    pub fn finish(self) -> (Vec<PlanTarget>, Vec<Warning>) {
        (self.targets, self.warnings)
    }

    fn unique(&self, path: &str, target: &Target) -> String {
        let slug = slug(path);
        let kind = target.class().to_ascii_lowercase();
        let taken = |name: &str| self.targets.iter().any(|t| t.name == name);
        if !taken(&slug) {
            return slug;
        }
        let with_kind = format!("{slug}-{kind}");
        if !taken(&with_kind) {
            return with_kind;
        }
        (2..)
            .map(|n: u32| format!("{with_kind}-{n}"))
            .find(|name| !taken(name))
            .unwrap_or(with_kind)
    }
}

/// `path`'s literal prefix as a target name.
fn slug(path: &str) -> String {
    let (prefix, _) = split(path);
    let mut slug = String::new();
    for c in prefix.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            c
        } else {
            '-'
        };
        if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) && slug.len() < MAX_SLUG_BYTES {
            slug.push(c);
        }
    }
    let slug = slug.trim_matches(|c| c == '-' || c == '.');
    if slug.is_empty() {
        "root".to_owned()
    } else {
        slug.to_owned()
    }
}

/// Whether `other` is a handler binding one of `handler`'s endpoints.
fn shares_endpoint(other: &Target, handler: &Handler) -> bool {
    let Target::Handler(other) = other else {
        return false;
    };
    let specs = [&handler.send_spec, &handler.recv_spec];
    [&other.send_spec, &other.recv_spec]
        .iter()
        .any(|spec| specs.contains(spec))
}

/// The target as Scale0 will see it: empty texts dropped, defaults spelled the same way from
/// both sources, Dir paths placed in the chroot. `Err` when a required part is missing.
fn prepare(server: &Server, target: &Target) -> Result<Target, String> {
    let some = |text: &Option<String>| text.clone().filter(|t| !t.is_empty());
    Ok(match target {
        Target::Handler(h) => {
            let (Some(send_spec), Some(recv_spec)) = (some(&h.send_spec), some(&h.recv_spec))
            else {
                return Err("Handler without send_spec or recv_spec; not converted".to_owned());
            };
            Target::Handler(Handler {
                send_spec: Some(send_spec),
                recv_spec: Some(recv_spec),
                send_ident: some(&h.send_ident).filter(|i| valid_ident(i)),
                recv_ident: some(&h.recv_ident).filter(|i| valid_ident(i)),
                raw_payload: h.raw_payload,
                protocol: some(&h.protocol).filter(|p| p != "json"),
            })
        }
        Target::Dir(d) => {
            let Some(base) = some(&d.base) else {
                return Err("Dir without base; not converted".to_owned());
            };
            Target::Dir(Dir {
                base: Some(in_chroot(server.chroot.as_deref(), &base)),
                index_file: some(&d.index_file),
                default_ctype: some(&d.default_ctype),
                cache_ttl: d.cache_ttl,
            })
        }
        Target::Proxy(p) => match (some(&p.addr), p.port) {
            (Some(addr), Some(port)) => Target::Proxy(Proxy {
                addr: Some(addr),
                port: Some(port),
            }),
            _ => return Err("Proxy without addr or port; not converted".to_owned()),
        },
    })
}

/// `path` as Mongrel2 sees it after `chroot`: joined under the chroot directory when there is one.
pub fn in_chroot(chroot: Option<&str>, path: &str) -> String {
    match chroot.filter(|c| !c.is_empty()) {
        None => path.to_owned(),
        Some(root) => format!(
            "{}/{}",
            root.trim_end_matches('/'),
            path.trim_start_matches('/')
        ),
    }
}

/// Whether `ident` is a Scale0 ident: up to [`MAX_IDENT_BYTES`] of `A-Z a-z 0-9 -`.
fn valid_ident(ident: &str) -> bool {
    ident.len() <= MAX_IDENT_BYTES
        && ident
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Warnings about parts of a new target (`original` as read, `target` as prepared) that have no
/// Scale0 key or were dropped.
fn notes(name: &str, original: &Target, target: &Target) -> Vec<Warning> {
    let object = format!("target {name:?}");
    let mut notes = Vec::new();
    if let Target::Handler(h) = original {
        for (key, ident) in [("send_ident", &h.send_ident), ("recv_ident", &h.recv_ident)] {
            if let Some(ident) = ident.as_deref().filter(|i| !valid_ident(i)) {
                notes.push(Warning::new(
                    &object,
                    format!(
                        "Handler({key}={ident:?}) not converted: Scale0 takes up to \
                         {MAX_IDENT_BYTES} of A-Z a-z 0-9 - (the default is used)"
                    ),
                ));
            }
        }
    }
    match target {
        Target::Handler(h) => {
            if let Some(p) = h.protocol.as_deref().filter(|p| *p != "tnetstring") {
                notes.push(Warning::new(&object, format!("Handler(protocol={p:?}) is not json or tnetstring; written as is, scale0 check will refuse it")));
            }
        }
        Target::Dir(d) => {
            if d.cache_ttl != 0 {
                notes.push(Warning::new(
                    &object,
                    format!(
                        "Dir(cache_ttl={}) not converted: no such key in Scale0",
                        d.cache_ttl
                    ),
                ));
            }
        }
        Target::Proxy(_) => {}
    }
    notes
}
