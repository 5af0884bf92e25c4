//! The config `scale0 up` runs with when no file is given: the smallest useful gateway, one handler
//! behind `/` on localhost. Rendered as TOML (not built in code) so that it goes through the same
//! validation as a file and can be printed for the operator to copy.

/// The endpoints `scale0 up` wires together.
#[derive(Debug, Clone, Copy)]
pub struct UpEndpoints<'a> {
    /// Where the embedded broker's workers connect.
    pub workers: &'a str,
    /// Where `scale0 ctl` reaches the embedded broker.
    pub control: &'a str,
    /// The Mongrel2-style handler's send_spec.
    pub send_spec: &'a str,
    /// The Mongrel2-style handler's recv_spec.
    pub recv_spec: &'a str,
}

/// Renders the default config; endpoint strings are TOML-quoted, not trusted to be plain.
pub(crate) fn render(http_port: u16, e: &UpEndpoints<'_>) -> String {
    let (workers, control) = (quote(e.workers), quote(e.control));
    let (send_spec, recv_spec) = (quote(e.send_spec), quote(e.recv_spec));
    format!(
        r#"# Scale0 default config (scale0 up). See docs/config.md for every key.
# /          -> service "hello" (native workers behind the embedded broker)
# /echo      -> service "echo"  (the same example worker echoes the body)
# /handler/  -> handler "app"   (a Mongrel2-style handler on PUSH/SUB sockets)

[[listener]]
bind = "127.0.0.1:{http_port}"

[[host]]
name = "localhost"
default = true

[[host.route]]
path = "/echo"
target = "echo"

[[host.route]]
path = "/handler/"
target = "app"

[[host.route]]
path = "/"
target = "hello"

[target.hello]
type = "service"
service = "hello"

[target.echo]
type = "service"
service = "echo"

[target.app]
type = "handler"
send_spec = {send_spec}
recv_spec = {recv_spec}

[broker]
embedded = true
workers = {workers}
control = {control}
"#
    )
}

/// A TOML basic string holding `text`, escaped as TOML requires.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests panic on failure by design")]
mod tests {
    use crate::config::{Config, Error, TargetKind};

    #[test]
    fn default_up_config_validates_and_uses_the_given_endpoints() {
        let endpoints = crate::config::UpEndpoints {
            workers: "ipc:///tmp/s0/workers",
            control: "ipc:///tmp/s0/ctl",
            send_spec: "ipc:///tmp/s0/send",
            recv_spec: "ipc:///tmp/s0/recv",
        };
        let text = Config::default_up(6767, &endpoints);
        let config = Config::from_toml_str(&text).unwrap();
        assert_eq!(config.listeners[0].bind.to_string(), "127.0.0.1:6767");
        let host = config.default_host();
        let route = |path: &str| {
            let r = host
                .routes
                .iter()
                .find(|r| r.path.as_str() == path)
                .unwrap();
            config.target(r.target).unwrap()
        };
        assert!(
            matches!(&route("/").kind, TargetKind::Service(s) if s.service.as_str() == "hello")
        );
        assert!(
            matches!(&route("/echo").kind, TargetKind::Service(s) if s.service.as_str() == "echo")
        );
        let TargetKind::Handler(handler) = &route("/handler/").kind else {
            panic!("/handler/ is not a handler");
        };
        assert_eq!(handler.send_spec.as_str(), "ipc:///tmp/s0/send");
        assert_eq!(handler.recv_spec.as_str(), "ipc:///tmp/s0/recv");
        let broker = config.broker.unwrap();
        assert!(matches!(
            broker.mode,
            crate::config::BrokerMode::Embedded { ref workers, .. } if workers.as_str() == "ipc:///tmp/s0/workers"
        ));
    }

    #[test]
    fn hostile_endpoint_text_cannot_inject_toml() {
        let endpoints = crate::config::UpEndpoints {
            workers: "tcp://a:2",
            control: "tcp://a:3",
            send_spec: "x\"\n[gateway]\nworker_threads = 5\n#",
            recv_spec: "tcp://a:1",
        };
        let text = Config::default_up(1, &endpoints);
        assert!(matches!(
            Config::from_toml_str(&text),
            Err(Error::Endpoint { .. })
        ));
    }
}
