//! An m2sh file's assignments → the [`Site`] model, the way m2sh loads it into SQLite: only what
//! `servers = [...]` reaches is loaded, a variable defined twice keeps its last value, a route whose
//! target is unknown is skipped (m2sh prints an error and goes on), a wrongly typed server field
//! stops the load (m2sh's SQL insert fails).

use std::collections::HashMap;

use super::error::{Error, Pos, Warning};
use super::model::{Dir, Handler, Host, Proxy, Route, Server, Site, Target};
use super::parser::{Assignment, Expr, Value};

mod params;

use params::Params;

/// Loads the parsed file.
pub fn load(file: &[Assignment]) -> Result<Site, Error> {
    let vars: HashMap<&str, &Expr> = file.iter().map(|a| (a.name.as_str(), &a.value)).collect();
    let loader = Loader { vars: &vars };
    let mut site = Site::default();
    let servers = vars.get("servers").ok_or_else(|| {
        Error::invalid(
            Pos { line: 1, col: 1 },
            "no `servers = [...]` variable: m2sh needs it to know which servers to load",
        )
    })?;
    let Value::List(items) = &servers.value else {
        return Err(wrong(servers, "`servers`", "a list"));
    };
    for item in items {
        let server = loader.class(item, "Server")?;
        site.servers.push(loader.server(server, &mut site.skipped)?);
    }
    if let Some(settings) = vars.get("settings") {
        site.settings = loader.settings(settings, &mut site.skipped)?;
    }
    if let Some(mimetypes) = vars.get("mimetypes") {
        site.mimetypes = loader.mimetypes(mimetypes, &mut site.skipped)?;
    }
    Ok(site)
}

/// The file's variables.
struct Loader<'a> {
    vars: &'a HashMap<&'a str, &'a Expr>,
}

impl<'a> Loader<'a> {
    /// Follows one variable reference, as m2sh does (a reference to a reference is an error).
    fn deref(&self, expr: &'a Expr) -> Result<&'a Expr, String> {
        let Value::Ref(name) = &expr.value else {
            return Ok(expr);
        };
        let target = self
            .vars
            .get(name.as_str())
            .ok_or_else(|| format!("unknown variable `{name}`"))?;
        if let Value::Ref(other) = &target.value {
            return Err(format!(
                "`{name}` refers to variable `{other}`; m2sh follows one reference only \
                 (\"Expected a Class but got a REF\")"
            ));
        }
        Ok(target)
    }

    /// A `class(...)` value (directly or through a variable); anything else stops the load.
    fn class(&self, expr: &'a Expr, class: &str) -> Result<Params<'a>, Error> {
        let resolved = self
            .deref(expr)
            .map_err(|message| Error::invalid(expr.pos, message))?;
        match &resolved.value {
            Value::Class { name, params } if name == class => Ok(Params::new(name, params)),
            _ => Err(wrong(resolved, "this value", &format!("a {class}(...)"))),
        }
    }

    fn server(&self, mut p: Params<'a>, skipped: &mut Vec<Warning>) -> Result<Server, Error> {
        let mut server = Server {
            uuid: p.text("uuid")?,
            name: p.text("name")?,
            bind_addr: p.text("bind_addr")?,
            port: p.number("port")?,
            access_log: p.text("access_log")?,
            error_log: p.text("error_log")?,
            chroot: p.text("chroot")?,
            pid_file: p.text("pid_file")?,
            control_port: p.text("control_port")?,
            default_host: p.text("default_host")?,
            use_ssl: p.number("use_ssl")?.is_some_and(|n| n != 0),
            ..Server::default()
        };
        let label = server.label();
        if let Some(hosts) = p.list("hosts")? {
            for host in hosts {
                let host = self.class(host, "Host")?;
                server.hosts.push(self.host(host, skipped)?);
            }
        }
        for (key, class) in [("filters", "Filter"), ("xrequests", "Xrequest")] {
            for item in p.list(key)?.unwrap_or_default() {
                let mut plugin = self.class(item, class)?;
                let name = plugin.text("name")?.unwrap_or_default();
                plugin.finish(&format!("{label} {class} {name:?}"), skipped);
                match key {
                    "filters" => server.filters.push(name),
                    _ => server.xrequests.push(name),
                }
            }
        }
        p.finish(&label, skipped);
        Ok(server)
    }

    fn host(&self, mut p: Params<'a>, skipped: &mut Vec<Warning>) -> Result<Host, Error> {
        let name = p.text("name")?.unwrap_or_default();
        let matching = p.text("matching")?.unwrap_or_else(|| name.clone());
        let label = format!("Host {name:?}");
        let routes = self.routes(&label, p.take("routes"), skipped);
        p.ignore("maintenance");
        p.finish(&label, skipped);
        Ok(Host {
            name,
            matching,
            routes,
        })
    }

    /// The `routes` dict of host `label`; entries m2sh would skip are warnings.
    fn routes(
        &self,
        label: &str,
        routes: Option<&'a Expr>,
        skipped: &mut Vec<Warning>,
    ) -> Vec<Route> {
        let Some(expr) = routes else {
            return Vec::new();
        };
        let pairs = match self.deref(expr) {
            Ok(Expr {
                value: Value::Dict(pairs),
                ..
            }) => pairs,
            Ok(other) => {
                skipped.push(Warning::new(
                    label,
                    format!(
                        "routes at {} is {}, not a dict; m2sh loads no routes either",
                        expr.pos,
                        other.value.describe()
                    ),
                ));
                return Vec::new();
            }
            Err(reason) => {
                skipped.push(Warning::new(label, reason));
                return Vec::new();
            }
        };
        let mut routes: Vec<Route> = Vec::new();
        for (path, target) in pairs {
            let object = format!("{label} route {path:?}");
            match self.target(target, &object, skipped) {
                Ok(target) => {
                    routes.retain(|r| &r.path != path);
                    routes.push(Route {
                        path: path.clone(),
                        target,
                    });
                }
                Err(reason) => skipped.push(Warning::new(
                    object,
                    format!("{reason}; m2sh skips this route too"),
                )),
            }
        }
        routes
    }

    /// A route's target; `Err` says why m2sh would skip the route. Unknown parameters are
    /// warnings naming `object`.
    fn target(
        &self,
        expr: &'a Expr,
        object: &str,
        skipped: &mut Vec<Warning>,
    ) -> Result<Target, String> {
        let resolved = self.deref(expr)?;
        let Value::Class { name, params } = &resolved.value else {
            return Err(format!(
                "target at {} is {}, not a Handler, Dir or Proxy",
                resolved.pos,
                resolved.value.describe()
            ));
        };
        let mut p = Params::new(name, params);
        let text = |p: &mut Params<'a>, key| p.text(key).map_err(|e| e.to_string());
        let number = |p: &mut Params<'a>, key| p.number(key).map_err(|e| e.to_string());
        let target = match name.as_str() {
            "Handler" => Target::Handler(Handler {
                send_spec: text(&mut p, "send_spec")?,
                send_ident: text(&mut p, "send_ident")?,
                recv_spec: text(&mut p, "recv_spec")?,
                recv_ident: text(&mut p, "recv_ident")?,
                raw_payload: number(&mut p, "raw_payload")?.unwrap_or(0),
                protocol: text(&mut p, "protocol")?,
            }),
            "Dir" => Target::Dir(Dir {
                base: text(&mut p, "base")?,
                index_file: text(&mut p, "index_file")?,
                default_ctype: text(&mut p, "default_ctype")?,
                cache_ttl: number(&mut p, "cache_ttl")?.unwrap_or(0),
            }),
            "Proxy" => Target::Proxy(Proxy {
                addr: text(&mut p, "addr")?,
                port: number(&mut p, "port")?,
            }),
            other => {
                return Err(format!(
                    "target at {} is a {other}(...), not a Handler, Dir or Proxy",
                    resolved.pos
                ))
            }
        };
        p.finish(object, skipped);
        Ok(target)
    }

    fn settings(
        &self,
        expr: &'a Expr,
        skipped: &mut Vec<Warning>,
    ) -> Result<Vec<(String, String)>, Error> {
        let mut settings = self.text_dict(expr, "`settings`", skipped, true)?;
        settings.sort();
        Ok(settings)
    }

    fn mimetypes(
        &self,
        expr: &'a Expr,
        skipped: &mut Vec<Warning>,
    ) -> Result<Vec<(String, String)>, Error> {
        let mut types = self.text_dict(expr, "`mimetypes`", skipped, false)?;
        types.sort();
        Ok(types)
    }

    /// A dict of string (or, with `numbers`, number) values; the last of repeated keys counts.
    fn text_dict(
        &self,
        expr: &'a Expr,
        what: &str,
        skipped: &mut Vec<Warning>,
        numbers: bool,
    ) -> Result<Vec<(String, String)>, Error> {
        let Value::Dict(pairs) = &expr.value else {
            return Err(wrong(expr, what, "a dict"));
        };
        let mut out: Vec<(String, String)> = Vec::new();
        for (key, value) in pairs {
            let text = match &value.value {
                Value::Str(text) => text.clone(),
                Value::Number(n) if numbers => n.to_string(),
                other => {
                    skipped.push(Warning::new(
                        format!("{what} {key:?}"),
                        format!(
                            "value at {} is {}; m2sh stores no such value",
                            value.pos,
                            other.describe()
                        ),
                    ));
                    continue;
                }
            };
            out.retain(|(k, _)| k != key);
            out.push((key.clone(), text));
        }
        Ok(out)
    }
}

/// "`what` at POS is X, expected Y".
fn wrong(expr: &Expr, what: &str, expected: &str) -> Error {
    Error::invalid(
        expr.pos,
        format!("{what} is {}, expected {expected}", expr.value.describe()),
    )
}

#[cfg(test)]
mod tests;
