//! The converted config as TOML text in docs/config.md's schema, laid out like
//! `deploy/mongrel2-like.toml`: `[gateway]`, one `[[listener]]`, `[defaults]`, the hosts with
//! their routes, then the targets in order of first use, each key commented with the Mongrel2
//! field it came from. Same model in, same text out.

use super::error::Warning;
use super::model::{Server, Site, Target};
use super::plan::{names::in_chroot, Plan};
use super::settings::{self, Key, Section};
use super::toml_out::{key, string, Out};

/// The port written when the server has none (Mongrel2's documented default port).
pub const FALLBACK_PORT: u64 = 6767;

/// Writes `server` (planned as `plan`) with `site`'s settings; returns the text and the warnings
/// about server-level fields.
pub fn write(site: &Site, server: &Server, plan: &Plan) -> (String, Vec<Warning>) {
    let mut out = Out::default();
    let mut warnings = server_warnings(server);
    let (keys, setting_warnings) = settings::convert(
        &site.settings,
        nonempty(&server.chroot),
        nonempty(&server.control_port).is_some(),
    );
    warnings.extend(setting_warnings);
    out.comment(
        "",
        &format!(
            "Mongrel2 {}{} converted by `scale0 import-mongrel2`.\n\
             What could not be converted was listed on stderr; docs/import-mongrel2.md has the mapping.",
            server.label(),
            server.uuid.as_deref().map(|u| format!(" (uuid {u})")).unwrap_or_default()
        ),
    );
    gateway(&mut out, site, server, &keys, &mut warnings);
    listener(&mut out, server, &keys, &mut warnings);
    section(&mut out, "[defaults]", Section::Defaults, &keys);
    section(&mut out, "[upload]", Section::Upload, &keys);
    if !site.mimetypes.is_empty() {
        out.blank();
        out.section("", "[mimetypes]", Some("mimetypes = {...}"));
        for (ext, ctype) in &site.mimetypes {
            out.key("", &key(ext), &string(ctype), None);
        }
    }
    for host in &plan.hosts {
        out.blank();
        out.section("", "[[host]]", None);
        out.text_key("", "name", &host.name, None);
        if let Some(matching) = &host.matching {
            out.text_key("", "matching", matching, Some("Host(matching=...)"));
        }
        if host.default {
            out.key("", "default", "true", Some("Server(default_host=...)"));
        }
        for (path, target) in &host.routes {
            out.blank();
            out.section("  ", "[[host.route]]", None);
            out.text_key("  ", "path", path, None);
            out.text_key("  ", "target", target, None);
        }
    }
    for target in &plan.targets {
        out.blank();
        out.comment("", &format!("used by {}", target.used_by.join(", ")));
        let header = format!("[target.{}]", key(&target.name));
        out.section(
            "",
            &header,
            Some(&format!("{}(...)", target.target.class())),
        );
        write_target(&mut out, &target.target);
    }
    (out.finish(), warnings)
}

fn gateway(out: &mut Out, site: &Site, server: &Server, keys: &[Key], warnings: &mut Vec<Warning>) {
    out.blank();
    out.section("", "[gateway]", None);
    if let Some(uuid) = nonempty(&server.uuid) {
        let valid = uuid.len() <= crate::config::limits::MAX_IDENT_BYTES
            && uuid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if valid {
            out.text_key("", "sender_id", uuid, Some("Server(uuid=...)"));
        } else {
            warnings.push(Warning::new(server.label(), format!("uuid {uuid:?} is not 1-128 of A-Z a-z 0-9 - as sender_id needs; a random id is used")));
        }
    }
    if settings::access_log_disabled(&site.settings) {
        out.text_key(
            "",
            "access_log",
            "off",
            Some("settings \"disable.access_logging\""),
        );
    } else if let Some(log) = nonempty(&server.access_log) {
        let path = in_chroot(nonempty(&server.chroot), log);
        out.text_key(
            "",
            "access_log",
            &path,
            Some("Server(access_log=...), inside chroot"),
        );
    }
    if let Some(control) = nonempty(&server.control_port) {
        out.text_key(
            "",
            "control_port",
            control,
            Some("Server(control_port=...)"),
        );
    }
    write_keys(out, Section::Gateway, keys);
}

fn listener(out: &mut Out, server: &Server, keys: &[Key], warnings: &mut Vec<Warning>) {
    out.blank();
    out.section("", "[[listener]]", None);
    let addr = nonempty(&server.bind_addr).unwrap_or("0.0.0.0");
    let port = match server.port {
        Some(port) if (1..=65535).contains(&port) => port,
        other => {
            warnings.push(Warning::new(
                server.label(),
                format!("port {other:?} is not 1-65535; listener uses {FALLBACK_PORT}"),
            ));
            FALLBACK_PORT
        }
    };
    let bind = if addr.contains(':') {
        format!("[{addr}]:{port}")
    } else {
        format!("{addr}:{port}")
    };
    out.text_key("", "bind", &bind, Some("Server(bind_addr=..., port=...)"));
    write_keys(out, Section::Listener, keys);
}

/// A section holding only converted settings; omitted when there are none.
fn section(out: &mut Out, header: &str, wanted: Section, keys: &[Key]) {
    if keys.iter().any(|k| k.section == wanted) {
        out.blank();
        out.section("", header, None);
        write_keys(out, wanted, keys);
    }
}

fn write_keys(out: &mut Out, wanted: Section, keys: &[Key]) {
    for key in keys.iter().filter(|k| k.section == wanted) {
        out.key("", key.key, &key.value, Some(&key.comment));
    }
}

fn write_target(out: &mut Out, target: &Target) {
    let text = |out: &mut Out, key: &str, value: &Option<String>| {
        if let Some(value) = value {
            out.text_key("", key, value, None);
        }
    };
    match target {
        Target::Handler(h) => {
            out.text_key("", "type", "handler", None);
            text(out, "send_spec", &h.send_spec);
            text(out, "send_ident", &h.send_ident);
            text(out, "recv_spec", &h.recv_spec);
            text(out, "recv_ident", &h.recv_ident);
            text(out, "protocol", &h.protocol);
            if h.raw_payload != 0 {
                out.key("", "raw_payload", "true", Some("Handler(raw_payload=...)"));
            }
        }
        Target::Dir(d) => {
            out.text_key("", "type", "dir", None);
            text(out, "base", &d.base);
            text(out, "index_file", &d.index_file);
            text(out, "default_ctype", &d.default_ctype);
        }
        Target::Proxy(p) => {
            out.text_key("", "type", "proxy", None);
            let addr = p.addr.as_deref().unwrap_or_default();
            let host = if addr.contains(':') {
                format!("[{addr}]")
            } else {
                addr.to_owned()
            };
            let url = format!("http://{host}:{}", p.port.unwrap_or(0));
            out.key("", "url", &string(&url), Some("Proxy(addr=..., port=...)"));
        }
    }
}

/// Warnings for the server fields and tables that have no Scale0 key.
fn server_warnings(server: &Server) -> Vec<Warning> {
    let label = server.label();
    let mut warnings = Vec::new();
    let mut field = |name: &str, value: &Option<String>, reason: &str| {
        if let Some(value) = nonempty(value) {
            warnings.push(Warning::new(
                &label,
                format!("{name}={value:?} not converted: {reason}"),
            ));
        }
    };
    field(
        "chroot",
        &server.chroot,
        "Scale0 does not chroot; access_log and Dir base paths were placed inside it",
    );
    field(
        "pid_file",
        &server.pid_file,
        "Scale0 runs in the foreground and writes no pid file",
    );
    field(
        "error_log",
        &server.error_log,
        "Scale0 logs to stderr (scale0 --log)",
    );
    if server.use_ssl {
        warnings.push(Warning::new(
            &label,
            "use_ssl=1 not converted: Scale0 does not terminate TLS; put a TLS proxy in front",
        ));
    }
    for (kind, list) in [("Filter", &server.filters), ("Xrequest", &server.xrequests)] {
        for name in list {
            warnings.push(Warning::new(
                format!("{label} {kind} {name:?}"),
                "not converted: Mongrel2 .so plugins have no Scale0 equivalent",
            ));
        }
    }
    warnings
}

fn nonempty(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|t| !t.is_empty())
}
