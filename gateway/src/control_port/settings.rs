//! What the control port reports about the server, taken from the validated
//! config once at startup.

use std::net::SocketAddr;
use std::sync::Arc;

use super::TaskRow;
use crate::config::{AccessLog, Config, TargetKind};
use crate::registry::Registry;

/// The `info` row (and `uuid`). Scale0 has no chroot, error log or pid file:
/// those columns are empty strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerInfo {
    /// The first listener's port (Mongrel2 serves one port per server).
    pub port: u16,
    /// The first listener's address.
    pub bind_addr: String,
    /// The gateway's uuid: its `sender_id`.
    pub uuid: String,
    /// Always empty (no chroot).
    pub chroot: String,
    /// The access log file, `stdout`, or empty when off.
    pub access_log: String,
    /// Always empty (errors go to the tracing output).
    pub error_log: String,
    /// Always empty (no pid file).
    pub pid_file: String,
    /// The default host's name.
    pub default_hostname: String,
}

/// Everything the control task needs, built by [`Settings::from_config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the REP socket binds (`gateway.control_port`).
    pub endpoint: String,
    /// What `uuid` and `info` report.
    pub info: ServerInfo,
    /// The fixed `status tasks` rows; a row per open connection follows them.
    pub tasks: Vec<TaskRow>,
    /// The live connections.
    pub registry: Arc<Registry>,
}

impl Settings {
    /// The control port of `config`, or `None` when `gateway.control_port`
    /// is not set. `uuid` is the sender id in use, `listeners` the bound
    /// listener addresses (port 0 resolved).
    pub fn from_config(
        config: &Config,
        uuid: &str,
        listeners: &[SocketAddr],
        registry: Arc<Registry>,
    ) -> Option<Settings> {
        let endpoint = config.gateway.control_port.as_ref()?.as_str().to_owned();
        let first = listeners.first();
        let info = ServerInfo {
            port: first.map_or(0, SocketAddr::port),
            bind_addr: first.map(|a| a.ip().to_string()).unwrap_or_default(),
            uuid: uuid.to_owned(),
            access_log: match &config.gateway.access_log {
                AccessLog::Off => String::new(),
                AccessLog::Stdout => "stdout".into(),
                AccessLog::File(path) => path.display().to_string(),
            },
            default_hostname: config.default_host().name.clone(),
            ..ServerInfo::default()
        };
        let mut fixed: Vec<(String, &str, &str)> = listeners
            .iter()
            .map(|_| ("SERVER".to_owned(), "read fd", "idle"))
            .collect();
        for target in &config.targets {
            let name = match target.kind {
                TargetKind::Handler(_) => "Handler_task",
                TargetKind::Service(_) => "Service_task",
                _ => continue,
            };
            fixed.push((name.to_owned(), "read handler", "idle"));
        }
        fixed.push(("control".to_owned(), "read handler", "running"));
        let tasks = fixed
            .into_iter()
            .zip(1..)
            .map(|((name, state, status), id)| TaskRow {
                id,
                system: false,
                name,
                state: state.to_owned(),
                status: status.to_owned(),
            })
            .collect();
        Some(Settings {
            endpoint,
            info,
            tasks,
            registry,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Error;

    const CONFIG: &str = r#"
[gateway]
sender_id = "gw-1"
access_log = "/var/log/scale0.log"
control_port = "ipc://run/control"

[[listener]]
bind = "127.0.0.1:0"

[[host]]
name = "example.com"
default = true
  [[host.route]]
  path = "/"
  target = "app"

[target.app]
type = "handler"
send_spec = "tcp://127.0.0.1:9997"
recv_spec = "tcp://127.0.0.1:9996"
"#;

    #[test]
    fn control_port_is_off_unless_configured() {
        let without = CONFIG.replace("control_port = \"ipc://run/control\"\n", "");
        let config = Config::from_toml_str(&without).unwrap();
        assert_eq!(config.gateway.control_port, None);
        assert!(Settings::from_config(&config, "gw-1", &[], Registry::new()).is_none());
    }

    #[test]
    fn info_and_tasks_come_from_the_config() {
        let config = Config::from_toml_str(CONFIG).unwrap();
        let addr: SocketAddr = "127.0.0.1:6767".parse().unwrap();
        let settings = Settings::from_config(&config, "gw-1", &[addr], Registry::new()).unwrap();
        assert_eq!(settings.endpoint, "ipc://run/control");
        assert_eq!(
            settings.info,
            ServerInfo {
                port: 6767,
                bind_addr: "127.0.0.1".into(),
                uuid: "gw-1".into(),
                access_log: "/var/log/scale0.log".into(),
                default_hostname: "example.com".into(),
                ..ServerInfo::default()
            }
        );
        let names: Vec<(u64, &str)> = settings
            .tasks
            .iter()
            .map(|t| (t.id, t.name.as_str()))
            .collect();
        assert_eq!(names, [(1, "SERVER"), (2, "Handler_task"), (3, "control")]);
    }

    #[test]
    fn a_malformed_control_port_names_the_field() {
        let bad = CONFIG.replace("ipc://run/control", "run/control");
        match Config::from_toml_str(&bad) {
            Err(Error::Endpoint { field, .. }) => assert_eq!(field, "gateway.control_port"),
            other => panic!("expected an endpoint error, got {other:?}"),
        }
    }
}
