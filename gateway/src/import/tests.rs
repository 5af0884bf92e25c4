use super::*;
use crate::config::{Config, TargetKind};
use crate::routing::Router;

/// The site of deploy/mongrel2-like.toml, as Mongrel2 would have it.
const SITE: &str = r#"
# a commented m2sh file
app = Handler(send_spec='tcp://127.0.0.1:9997', send_ident='34f9ceee-cd52-4b7f-b197-88bf2f0ec378',
              recv_spec='tcp://127.0.0.1:9996', recv_ident='')
reports = Handler(send_spec='tcp://127.0.0.1:9995', send_ident='reports',
                  recv_spec='tcp://127.0.0.1:9994', recv_ident='', protocol='tnetstring')
localhost = Host(name="localhost", routes={
    '/': app
    '/static/': Dir(base='static/', index_file='index.html', default_ctype='text/plain'),
    '/reports/(.*\.json)': reports,
    '/legacy/': Proxy(addr='127.0.0.1', port=8080)})
api = Host(name="api", matching="(.+).api.example.com", routes={'/': app})
main = Server(uuid="f400bf85-4538-4f7a-8908-67e313d515c2", default_host="localhost",
              name="main", access_log="/logs/access.log", error_log="/logs/error.log",
              chroot="/srv/www", pid_file="/run/m2.pid",
              bind_addr="0.0.0.0", port=6767, hosts=[localhost, api])
settings = {"limits.content_length": 20480, "limits.buffer_size": 8192, "zeromq.threads": 1}
servers = [main]
"#;

fn imported(text: &str) -> Imported {
    import_m2sh(text, &Options::default()).unwrap()
}

fn routed<'a>(router: &'a Router, host: &str, path: &str) -> Option<(&'a str, &'a str)> {
    router
        .route(Some(host.as_bytes()), path.as_bytes())
        .map(|m| (m.pattern, m.target.name.as_str()))
}

#[test]
fn output_is_a_valid_config_that_routes_like_mongrel2() {
    let out = imported(SITE);
    out.check.as_ref().unwrap();
    let config = Config::from_toml_str(&out.toml).unwrap();
    assert_eq!(
        config.gateway.sender_id.as_deref(),
        Some("f400bf85-4538-4f7a-8908-67e313d515c2")
    );
    assert_eq!(config.listeners[0].bind.to_string(), "0.0.0.0:6767");
    assert_eq!(config.listeners[0].max_header_bytes, 8192);
    assert_eq!(config.defaults.inline_body_bytes, 20480);
    assert_eq!(config.default_host().name, "localhost");
    let router = Router::new(&config);
    assert_eq!(
        routed(&router, "localhost", "/index.html"),
        Some(("/", "root"))
    );
    assert_eq!(
        routed(&router, "localhost", "/static/a.css"),
        Some(("/static/", "static"))
    );
    assert_eq!(
        routed(&router, "localhost", "/reports/x.json"),
        Some((r"/reports/(.*\.json)", "reports"))
    );
    assert_eq!(routed(&router, "localhost", "/reports/x.txt"), None);
    assert_eq!(
        routed(&router, "a.api.example.com", "/x"),
        Some(("/", "root"))
    );
    assert_eq!(
        routed(&router, "unknown.org", "/legacy/x"),
        Some(("/legacy/", "legacy"))
    );
    let target = |name: &str| {
        let id = config.target_id(name).unwrap();
        config.target(id).unwrap().kind.clone()
    };
    let TargetKind::Dir(dir) = target("static") else {
        panic!("static is not a dir");
    };
    assert_eq!(dir.base.to_string_lossy(), "/srv/www/static/");
    let TargetKind::Handler(reports) = target("reports") else {
        panic!("reports is not a handler");
    };
    assert_eq!(reports.send_ident.as_deref(), Some("reports"));
    assert!(
        out.toml.contains("url = \"http://127.0.0.1:8080\""),
        "{}",
        out.toml
    );
    assert!(out
        .toml
        .contains("access_log = \"/srv/www/logs/access.log\""));
}

#[test]
fn everything_not_converted_is_named_in_a_warning() {
    let out = imported(SITE);
    let lines: Vec<String> = out.warnings.iter().map(ToString::to_string).collect();
    for expected in ["chroot=", "pid_file=", "error_log=", "\"zeromq.threads\""] {
        assert!(
            lines.iter().any(|l| l.contains(expected)),
            "no warning about {expected}: {lines:#?}"
        );
    }
    assert_eq!(lines.len(), 4, "{lines:#?}");
}

#[test]
fn output_is_deterministic_and_commented() {
    let a = imported(SITE).toml;
    assert_eq!(a, imported(SITE).toml);
    assert!(a.starts_with("# Mongrel2 Server \"main\""));
    assert!(a.contains("# Server(uuid=...)"));
    assert!(a.contains("path = '/reports/(.*\\.json)'"));
    assert!(a.contains("# used by localhost \"/\", api \"/\""));
}

#[test]
fn several_servers_take_the_first_or_the_chosen_one() {
    let text = "h = Handler(send_spec='tcp://127.0.0.1:1', recv_spec='tcp://127.0.0.1:2')\n\
        a = Server(uuid='ua', name='a', port=1, hosts=[Host(name='x', routes={'/': h})])\n\
        b = Server(uuid='ub', name='b', port=2, hosts=[Host(name='y', routes={'/': h})])\n\
        servers = [b, a]";
    let first = imported(text);
    assert!(first.toml.contains("bind = \"0.0.0.0:2\""));
    assert!(
        first.warnings[0].reason.contains("--server"),
        "{}",
        first.warnings[0]
    );
    for wanted in ["a", "ua"] {
        let options = Options {
            server: Some(wanted.into()),
        };
        let chosen = import_m2sh(text, &options).unwrap();
        assert!(chosen.toml.contains("bind = \"0.0.0.0:1\""));
    }
    let options = Options {
        server: Some("zz".into()),
    };
    assert!(matches!(
        import_m2sh(text, &options),
        Err(Error::UnknownServer { .. })
    ));
}

#[test]
fn files_are_detected_by_content_and_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.conf");
    std::fs::write(&path, "main = Server(\n  port = -1)\n").unwrap();
    let error = import_file(&path, &Options::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{}:2:10: invalid character '-' (m2sh refuses it too)",
            path.display()
        )
    );
    let path = dir.path().join("fake.sqlite");
    std::fs::write(&path, b"SQLite format 3\0garbage").unwrap();
    assert!(matches!(
        import_file(&path, &Options::default()),
        Err(Error::Sqlite { .. })
    ));
    let path = dir.path().join("none.conf");
    std::fs::write(&path, "x = 1\n").unwrap();
    let error = import_file(&path, &Options::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}:1:1: no `servers", path.display())),
        "{error}"
    );
}

#[test]
fn a_config_scale0_refuses_is_reported_not_hidden() {
    let out = imported(
        "main = Server(uuid='u', port=1, hosts=[Host(name='h', routes={'/': Dir(base='no-slash')})])\n\
         servers = [main]",
    );
    assert!(out.check.is_err());
    assert!(out.toml.contains("base = \"no-slash\""));
}

#[test]
fn keys_other_engineers_added_are_filled() {
    let out = imported(
        "h = Handler(send_spec='tcp://127.0.0.1:1', recv_spec='tcp://127.0.0.1:2', raw_payload=1)\n\
         main = Server(uuid='u', port=1, chroot='/srv/', control_port='ipc:///tmp/m2-control',\n\
           hosts=[Host(name='h', routes={'/': h})])\n\
         settings = {'upload.temp_store': '/tmp/up.XXXXXX', 'upload.temp_store_mode': '0640',\n\
           'upload.stream': 1, 'download.flow_control': 1, 'disable.access_logging': 1,\n\
           'control_port': 'ipc://ignored'}\n\
         mimetypes = {'.ttf': 'application/x-font-ttf'}\n\
         servers = [main]",
    );
    out.check.as_ref().unwrap();
    for line in [
        "control_port = \"ipc:///tmp/m2-control\"",
        "access_log = \"off\"",
        "temp_store = \"/srv/tmp/up.XXXXXX\"",
        "temp_store_mode = \"0640\"",
        "upload_stream = true",
        "download_credits = true",
        "\".ttf\" = \"application/x-font-ttf\"",
        "raw_payload = true",
    ] {
        assert!(out.toml.contains(line), "no {line:?} in\n{}", out.toml);
    }
    assert!(!out.toml.contains("ipc://ignored"));
}

#[test]
fn tls_and_plugins_are_reported() {
    let out = imported(
        "h = Handler(send_spec='tcp://127.0.0.1:1', recv_spec='tcp://127.0.0.1:2')\n\
         main = Server(uuid='u', port=1, use_ssl=1, filters=[Filter(name='/f.so')],\n\
           xrequests=[Xrequest(name='/x.so')], hosts=[Host(name='h', routes={'/': h})])\n\
         servers = [main]",
    );
    let lines: Vec<String> = out.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(lines[0].contains("use_ssl=1"));
    assert!(lines[1].contains("Filter \"/f.so\""));
    assert!(lines[2].contains("Xrequest \"/x.so\""));
    assert!(lines[3].contains("no default_host"));
}

#[test]
fn target_names_with_dots_are_quoted_keys() {
    let out = imported(
        "main = Server(uuid='u', port=1, hosts=[Host(name='h', routes={\n\
           '/favicon.ico': Dir(base='/srv/icons/'), '/': Proxy(addr='::1', port=81)})])\n\
         servers = [main]",
    );
    out.check.as_ref().unwrap();
    assert!(
        out.toml.contains("[target.\"favicon.ico\"]"),
        "{}",
        out.toml
    );
    assert!(
        out.toml.contains("url = \"http://[::1]:81\""),
        "{}",
        out.toml
    );
}
