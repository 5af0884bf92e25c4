use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::*;

const MINIMAL: &str = r#"
[[listener]]
bind = "127.0.0.1:0"

[[host]]
name = "localhost"

[[host.route]]
path = "/"
target = "app"

[target.app]
type = "handler"
send_spec = "tcp://127.0.0.1:9997"
recv_spec = "tcp://127.0.0.1:9996"
"#;

/// MINIMAL with `from` replaced by `to` (which must occur).
fn edited(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "MINIMAL has no {from:?}");
    MINIMAL.replacen(from, to, 1)
}

fn error_of(text: &str) -> Error {
    Config::from_toml_str(text).expect_err("config was accepted")
}

const FULL: &str = r#"
[gateway]
sender_id = "34f9ceee-cd52-4b7f-b197-88bf2f0ec378"
worker_threads = 4
access_log = "/var/log/scale0/access.log"
trusted_proxies = ["10.0.0.0/8", "::1"]
shutdown_grace = "0s"

[[listener]]
bind = "[::1]:8080"
proxy_protocol = true
max_connections = 500
http2 = false
header_read_timeout = "250ms"
keepalive_timeout = "2m"
max_header_bytes = "32KiB"
max_headers = 50

[defaults]
reply_timeout = "20s"
idle_timeout = "1h"
max_body_bytes = "1MiB"
inline_body_bytes = 4096
retry_after = "3s"

[[host]]
name = "example.com"
matching = "(.+).example.com"
default = true

  [[host.route]]
  path = "/api/(\\d+)$"
  target = "app"
  reply_timeout = "5s"
  retryable = true

  [[host.route]]
  path = "/svc/"
  target = "svc"

[[host]]
name = "static"
matching = "static.test"

  [[host.route]]
  path = "/"
  target = "files"

  [[host.route]]
  path = "/up/"
  target = "up"

[target.app]
type = "handler"
send_spec = "ipc:///run/scale0/app-send"
send_ident = "app-1"
recv_spec = "ipc:///run/scale0/app-recv"
recv_ident = "scale0"
protocol = "tnetstring"

[target.svc]
type = "service"
service = "echo"

[target.files]
type = "dir"
base = "/srv/www/"

[target.up]
type = "proxy"
url = "http://127.0.0.1:8081/base"

[broker]
endpoint = "tcp://127.0.0.1:5555"
"#;

#[test]
fn full_config_validates_into_typed_values() {
    let config = Config::from_toml_str(FULL).unwrap();
    let gateway = &config.gateway;
    assert_eq!(
        gateway.sender_id.as_deref(),
        Some("34f9ceee-cd52-4b7f-b197-88bf2f0ec378")
    );
    assert_eq!(gateway.worker_threads, 4);
    assert_eq!(
        gateway.access_log,
        AccessLog::File(PathBuf::from("/var/log/scale0/access.log"))
    );
    assert!(gateway.trusted_proxies[0].contains("10.9.8.7".parse::<IpAddr>().unwrap()));
    assert_eq!(gateway.shutdown_grace, Duration::ZERO);
    let listener = &config.listeners[0];
    assert_eq!(listener.bind, "[::1]:8080".parse().unwrap());
    assert!(listener.proxy_protocol && !listener.http2);
    assert_eq!(
        (
            listener.max_connections,
            listener.max_header_bytes,
            listener.max_headers
        ),
        (500, 32768, 50)
    );
    assert_eq!(listener.header_read_timeout, Duration::from_millis(250));
    assert_eq!(listener.keepalive_timeout, Duration::from_secs(120));
    assert_eq!(config.default_host().name, "example.com");
    let api = &config.hosts[0].routes[0];
    assert_eq!(api.path.prefix(), "/api/");
    assert_eq!(config.target(api.target).unwrap().name, "app");
    let expected = RouteSettings {
        reply_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(3600),
        max_body_bytes: 1 << 20,
        inline_body_bytes: 4096,
        retry_after: Duration::from_secs(3),
        retryable: true,
    };
    assert_eq!(api.settings, expected);
    let svc = &config.hosts[0].routes[1];
    assert_eq!(svc.settings, config.defaults);
    assert_eq!(
        config.broker.as_ref().unwrap().endpoint.as_str(),
        "tcp://127.0.0.1:5555"
    );
}

#[test]
fn every_target_shape_is_typed() {
    let config = Config::from_toml_str(FULL).unwrap();
    let kind = |name: &str| &config.target(config.target_id(name).unwrap()).unwrap().kind;
    let TargetKind::Handler(app) = kind("app") else {
        panic!("app")
    };
    assert_eq!(
        (app.sender("gw"), app.recv_ident.as_str()),
        ("app-1", "scale0")
    );
    assert_eq!(app.protocol, Protocol::Tnetstring);
    let TargetKind::Service(svc) = kind("svc") else {
        panic!("svc")
    };
    assert_eq!(svc.service, "echo");
    let TargetKind::Dir(files) = kind("files") else {
        panic!("files")
    };
    assert_eq!(
        (files.index_file.as_str(), files.default_ctype.as_str()),
        ("index.html", "text/plain")
    );
    let TargetKind::Proxy(up) = kind("up") else {
        panic!("up")
    };
    assert_eq!(up.url.port_u16(), Some(8081));
    assert_eq!(config.target_id("nope"), None);
}

#[test]
fn minimal_config_takes_the_documented_defaults() {
    let config = Config::from_toml_str(MINIMAL).unwrap();
    assert_eq!(config.gateway.sender_id, None);
    assert_eq!(config.gateway.worker_threads, 0);
    assert_eq!(config.gateway.access_log, AccessLog::Off);
    assert_eq!(
        config.gateway.shutdown_grace,
        limits::DEFAULT_SHUTDOWN_GRACE
    );
    let listener = &config.listeners[0];
    assert!(!listener.proxy_protocol && listener.http2);
    assert_eq!(listener.max_connections, 10_000);
    assert_eq!(
        (listener.max_header_bytes, listener.max_headers),
        (16384, 100)
    );
    assert_eq!(listener.keepalive_timeout, Duration::from_secs(75));
    assert_eq!(config.defaults, RouteSettings::default());
    assert_eq!(config.defaults.inline_body_bytes, 20480);
    assert!(config.hosts[0].default, "the only host is the default");
    assert_eq!(config.hosts[0].matching.as_str(), "localhost");
    let TargetKind::Handler(app) = &config.targets[0].kind else {
        panic!("app")
    };
    assert_eq!(
        (app.sender("gw-uuid"), app.recv_ident.as_str(), app.protocol),
        ("gw-uuid", "", Protocol::Json)
    );
    assert!(config.broker.is_none());
}

#[test]
fn unknown_keys_are_rejected_in_every_section() {
    for text in [
        format!("{MINIMAL}\nextra = 1\n"),
        format!("{MINIMAL}\n[gateway]\nsender = \"x\"\n"),
        edited("bind = ", "port = 1\nbind = "),
        format!("{MINIMAL}\n[defaults]\nreply_timout = \"1s\"\n"),
        edited("name = \"localhost\"", "name = \"localhost\"\naliases = []"),
        edited("path = \"/\"", "path = \"/\"\ntimeout = \"1s\""),
        edited("type = \"handler\"", "type = \"handler\"\nraw_payload = 0"),
        format!("{MINIMAL}\n[target.f]\ntype = \"dir\"\nbase = \"/x/\"\ncache_ttl = 0\n"),
        format!("{MINIMAL}\n[broker]\nendpoint = \"tcp://127.0.0.1:5555\"\nmode = \"x\"\n"),
        edited("type = \"handler\"", "type = \"mongrel2\""),
    ] {
        assert!(
            matches!(error_of(&text), Error::Toml(_)),
            "accepted:\n{text}"
        );
    }
}

#[test]
fn missing_keys_and_wrong_types_are_toml_errors() {
    assert!(matches!(
        error_of(&edited("bind = \"127.0.0.1:0\"", "")),
        Error::Toml(_)
    ));
    assert!(matches!(
        error_of(&edited("\"127.0.0.1:0\"", "6767")),
        Error::Toml(_)
    ));
    assert!(matches!(error_of("[[listener]\n"), Error::Toml(_)));
    let negative = format!("{MINIMAL}\n[defaults]\nmax_body_bytes = -1\n");
    assert!(matches!(error_of(&negative), Error::Toml(_)));
}

#[test]
fn bad_values_name_their_field() {
    let field_of = |text: &str| match error_of(text) {
        Error::Duration { field, .. }
        | Error::Size { field, .. }
        | Error::OutOfRange { field, .. }
        | Error::Endpoint { field, .. }
        | Error::Address { field, .. }
        | Error::Cidr { field, .. }
        | Error::Invalid { field, .. }
        | Error::Pattern { field, .. }
        | Error::TooMany { field, .. } => field,
        other => panic!("unexpected {other:?}"),
    };
    let cases = [
        (
            edited(
                "bind = \"127.0.0.1:0\"",
                "bind = \"127.0.0.1:0\"\nkeepalive_timeout = \"0s\"",
            ),
            "listener[0].keepalive_timeout",
        ),
        (
            edited("bind = \"127.0.0.1:0\"", "bind = \"localhost:80\""),
            "listener[0].bind",
        ),
        (
            edited(
                "bind = \"127.0.0.1:0\"",
                "bind = \"127.0.0.1:0\"\nmax_headers = 0",
            ),
            "listener[0].max_headers",
        ),
        (
            edited(
                "bind = \"127.0.0.1:0\"",
                "bind = \"127.0.0.1:0\"\nmax_header_bytes = \"2MiB\"",
            ),
            "listener[0].max_header_bytes",
        ),
        (
            format!("{MINIMAL}\n[defaults]\nreply_timeout = \"30\"\n"),
            "defaults.reply_timeout",
        ),
        (
            format!("{MINIMAL}\n[defaults]\nmax_body_bytes = \"10MB\"\n"),
            "defaults.max_body_bytes",
        ),
        (
            format!("{MINIMAL}\n[gateway]\nworker_threads = 5000\n"),
            "gateway.worker_threads",
        ),
        (
            format!("{MINIMAL}\n[gateway]\nsender_id = \"has space\"\n"),
            "gateway.sender_id",
        ),
        (
            format!("{MINIMAL}\n[gateway]\ntrusted_proxies = [\"::1\", \"10/8\"]\n"),
            "gateway.trusted_proxies[1]",
        ),
        (
            edited("tcp://127.0.0.1:9997", "tcp://127.0.0.1"),
            "target.app.send_spec",
        ),
        (
            edited(
                "type = \"handler\"",
                "type = \"handler\"\nprotocol = \"xml\"",
            ),
            "target.app.protocol",
        ),
        (
            edited("path = \"/\"", "path = \"/\"\nidle_timeout = \"25h\""),
            "host \"localhost\" route \"/\".idle_timeout",
        ),
        (
            edited("path = \"/\"", "path = \"/x/([a)\""),
            "host \"localhost\" route \"/x/([a)\".path",
        ),
        (
            edited(
                "name = \"localhost\"",
                "name = \"localhost\"\nmatching = \"([a).test\"",
            ),
            "host \"localhost\".matching",
        ),
        (
            edited("name = \"localhost\"", "name = \"local:host\""),
            "host[0].name",
        ),
        (
            edited("[target.app]", "[target.\"my app\"]").replace("\"app\"", "\"my app\""),
            "target",
        ),
        (
            format!("{MINIMAL}\n[target.f]\ntype = \"dir\"\nbase = \"/srv\"\n"),
            "target.f.base",
        ),
        (
            format!("{MINIMAL}\n[target.u]\ntype = \"proxy\"\nurl = \"https://x\"\n"),
            "target.u.url",
        ),
        (
            format!("{MINIMAL}\n[broker]\nendpoint = \"inproc://\"\n"),
            "broker.endpoint",
        ),
    ];
    for (text, field) in cases {
        assert_eq!(field_of(&text), field, "in:\n{text}");
    }
    let many = vec!["\"::1\""; limits::MAX_TRUSTED_PROXIES + 1].join(",");
    let text = format!("{MINIMAL}\n[gateway]\ntrusted_proxies = [{many}]\n");
    assert!(matches!(
        error_of(&text),
        Error::TooMany {
            max: limits::MAX_TRUSTED_PROXIES,
            ..
        }
    ));
}

#[test]
fn unknown_target_names_host_route_and_target() {
    let text = edited("target = \"app\"", "target = \"apii\"");
    let error = error_of(&text);
    let Error::UnknownTarget {
        host,
        route,
        target,
    } = &error
    else {
        panic!("unexpected {error:?}");
    };
    assert_eq!(
        (host.as_str(), route.as_str(), target.as_str()),
        ("localhost", "/", "apii")
    );
    assert_eq!(
        error.to_string(),
        "host \"localhost\" route \"/\": unknown target \"apii\""
    );
}

#[test]
fn duplicates_are_rejected() {
    let second_host = "\n[[host]]\nname = \"localhost\"\nmatching = \"other\"\n[[host.route]]\npath = \"/\"\ntarget = \"app\"\n";
    let other_matching = second_host.replace(
        "name = \"localhost\"\nmatching = \"other\"",
        "name = \"b\"\nmatching = \"localhost\"",
    );
    let same_route = edited(
        "[target.app]",
        "[[host.route]]\npath = \"/\"\ntarget = \"app\"\n[target.app]",
    );
    let same_bind = format!("{MINIMAL}\n[[listener]]\nbind = \"127.0.0.1:0\"\n[[listener]]\nbind = \"127.0.0.1:80\"\n[[listener]]\nbind = \"127.0.0.1:80\"\n");
    let shared_endpoint = format!("{MINIMAL}\n[target.b]\ntype = \"handler\"\nsend_spec = \"tcp://127.0.0.1:9996\"\nrecv_spec = \"tcp://127.0.0.1:1\"\n");
    let self_endpoint = edited("tcp://127.0.0.1:9996", "tcp://127.0.0.1:9997");
    let broker_endpoint = format!("{MINIMAL}\n[broker]\nendpoint = \"tcp://127.0.0.1:9997\"\n");
    let cases = [
        (format!("{MINIMAL}{second_host}"), "host[1].name"),
        (format!("{MINIMAL}{other_matching}"), "host[1].matching"),
        (same_route, "host \"localhost\".route.path"),
        (same_bind, "listener[3].bind"),
        (shared_endpoint, "target.b.send_spec"),
        (self_endpoint, "target.app.recv_spec"),
        (broker_endpoint, "target.app.send_spec"),
    ];
    for (text, expected) in cases {
        match error_of(&text) {
            Error::Duplicate { field, .. } => assert_eq!(field, expected, "in:\n{text}"),
            other => panic!("unexpected {other:?} in:\n{text}"),
        }
    }
}

#[test]
fn structural_errors() {
    assert!(matches!(
        error_of(&edited("[[listener]]\nbind = \"127.0.0.1:0\"", "")),
        Error::NoListener
    ));
    let no_hosts = edited(
        "[[host]]\nname = \"localhost\"\n\n[[host.route]]\npath = \"/\"\ntarget = \"app\"\n",
        "",
    );
    assert!(matches!(error_of(&no_hosts), Error::NoHost));
    let no_routes = edited("[[host.route]]\npath = \"/\"\ntarget = \"app\"\n", "");
    assert!(matches!(error_of(&no_routes), Error::NoRoutes { host } if host == "localhost"));
    let second = "\n[[host]]\nname = \"b\"\n[[host.route]]\npath = \"/\"\ntarget = \"app\"\n";
    assert!(matches!(
        error_of(&format!("{MINIMAL}{second}")),
        Error::NoDefaultHost { count: 2 }
    ));
    let both = format!(
        "{}{}",
        edited(
            "name = \"localhost\"",
            "name = \"localhost\"\ndefault = true"
        ),
        second.replace("name = \"b\"", "name = \"b\"\ndefault = true")
    );
    assert!(
        matches!(error_of(&both), Error::SeveralDefaultHosts { first, second } if first == "localhost" && second == "b")
    );
    let service = format!("{MINIMAL}\n[target.svc]\ntype = \"service\"\nservice = \"echo\"\n");
    assert!(matches!(error_of(&service), Error::MissingBroker { target } if target == "svc"));
    let proxy = edited(
        "bind = \"127.0.0.1:0\"",
        "bind = \"127.0.0.1:0\"\nproxy_protocol = true",
    );
    assert!(
        matches!(error_of(&proxy), Error::UntrustedProxyProtocol { field } if field == "listener[0].proxy_protocol")
    );
}

#[test]
fn load_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, MINIMAL).unwrap();
    assert_eq!(
        Config::load(&good).unwrap(),
        Config::from_toml_str(MINIMAL).unwrap()
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, edited("target = \"app\"", "target = \"apii\"")).unwrap();
    let error = Config::load(&bad).unwrap_err();
    assert!(
        matches!(&error, Error::InFile { path, error } if *path == bad && matches!(**error, Error::UnknownTarget { .. }))
    );
    assert!(error
        .to_string()
        .starts_with(&format!("{}: host", bad.display())));
    let missing = dir.path().join("missing.toml");
    assert!(matches!(Config::load(&missing), Err(Error::Read { path, .. }) if path == missing));
    let huge = dir.path().join("huge.toml");
    let padding = "#".repeat(usize::try_from(limits::MAX_CONFIG_BYTES).unwrap());
    std::fs::write(&huge, format!("{MINIMAL}{padding}")).unwrap();
    assert!(matches!(
        Config::load(&huge),
        Err(Error::FileTooLarge { .. })
    ));
}

#[test]
fn every_deploy_config_validates() {
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let mut checked = 0;
    for entry in std::fs::read_dir(&deploy).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            if let Err(error) = Config::load(&path) {
                panic!("{error}");
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "expected deploy/scale0.toml and deploy/mongrel2-like.toml"
    );
}
