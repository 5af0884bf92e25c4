//! The config `scale0 up` runs with when no file is given: the smallest useful gateway, one handler
//! behind `/` on localhost. Rendered as TOML (not built in code) so that it goes through the same
//! validation as a file and can be printed for the operator to copy.

/// Renders the default config; endpoint strings are TOML-quoted, not trusted to be plain.
pub(crate) fn render(http_port: u16, send_spec: &str, recv_spec: &str) -> String {
    let send_spec = quote(send_spec);
    let recv_spec = quote(recv_spec);
    format!(
        r#"# Scale0 default config (scale0 up): every request to localhost goes to handler "app".
# See docs/config.md for every key.

[[listener]]
bind = "127.0.0.1:{http_port}"

[[host]]
name = "localhost"
default = true

[[host.route]]
path = "/"
target = "app"

[target.app]
type = "handler"
send_spec = {send_spec}
recv_spec = {recv_spec}
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
        let text = Config::default_up(6767, "ipc:///tmp/s0/send", "ipc:///tmp/s0/recv");
        let config = Config::from_toml_str(&text).unwrap();
        assert_eq!(config.listeners[0].bind.to_string(), "127.0.0.1:6767");
        let host = config.default_host();
        assert_eq!(
            (host.name.as_str(), host.routes[0].path.as_str()),
            ("localhost", "/")
        );
        let target = config.target(host.routes[0].target).unwrap();
        let TargetKind::Handler(handler) = &target.kind else {
            panic!("app is not a handler: {target:?}");
        };
        assert_eq!(target.name, "app");
        assert_eq!(handler.send_spec.as_str(), "ipc:///tmp/s0/send");
        assert_eq!(handler.recv_spec.as_str(), "ipc:///tmp/s0/recv");
    }

    #[test]
    fn hostile_endpoint_text_cannot_inject_toml() {
        let text = Config::default_up(1, "x\"\n[gateway]\nworker_threads = 5\n#", "tcp://a:1");
        assert!(matches!(
            Config::from_toml_str(&text),
            Err(Error::Endpoint { .. })
        ));
    }
}
