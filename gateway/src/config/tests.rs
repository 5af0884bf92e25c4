use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::*;

mod errors;

/// The smallest valid config (also the base of other modules' config tests).
pub(super) const MINIMAL: &str = r#"
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
        ..RouteSettings::default()
    };
    assert_eq!(api.settings, expected);
    let svc = &config.hosts[0].routes[1];
    assert_eq!(svc.settings, config.defaults);
    let broker = config.broker.as_ref().unwrap();
    let super::BrokerMode::Connect { endpoint } = &broker.mode else {
        panic!("expected a standalone broker: {broker:?}");
    };
    assert_eq!(endpoint.as_str(), "tcp://127.0.0.1:5555");
    assert_eq!(broker.liveness, 3);
    assert_eq!(broker.max_queue, 1000);
    assert_eq!(broker.transport, scale0_broker::runtime::Transport::Native);
}

#[test]
fn the_broker_transport_is_native_or_libzmq() {
    let with = |value: &str| {
        FULL.replace(
            "[broker]\nendpoint = \"tcp://127.0.0.1:5555\"",
            &format!("[broker]\nendpoint = \"tcp://127.0.0.1:5555\"\ntransport = {value}"),
        )
    };
    let libzmq = Config::from_toml_str(&with("\"libzmq\"")).unwrap();
    assert_eq!(
        libzmq.broker.unwrap().transport,
        scale0_broker::runtime::Transport::Libzmq
    );
    let error = Config::from_toml_str(&with("\"zeromq\"")).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("broker.transport") && message.contains("libzmq"),
        "{message}"
    );
}

#[test]
fn an_embedded_broker_needs_a_worker_endpoint_and_binds_it_once() {
    let base = FULL.replace(
        "[broker]\nendpoint = \"tcp://127.0.0.1:5555\"",
        "[broker]\nembedded = true\nworkers = \"tcp://127.0.0.1:5555\"\ncontrol = \"ipc:///tmp/s0-ctl\"",
    );
    let config = Config::from_toml_str(&base).unwrap();
    assert!(matches!(
        config.broker.unwrap().mode,
        super::BrokerMode::Embedded {
            control: Some(_),
            ..
        }
    ));
    let missing = FULL.replace(
        "[broker]\nendpoint = \"tcp://127.0.0.1:5555\"",
        "[broker]\nembedded = true",
    );
    assert!(Config::from_toml_str(&missing).is_err());
    let neither = FULL.replace("[broker]\nendpoint = \"tcp://127.0.0.1:5555\"", "[broker]");
    assert!(Config::from_toml_str(&neither).is_err());
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
    assert_eq!(svc.service.as_str(), "echo");
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
