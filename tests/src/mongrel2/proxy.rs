//! Mongrel2 as a reverse proxy: one host `localhost` whose route `/` is a
//! `Proxy(addr='127.0.0.1', port=N)`, for differential tests of Scale0's
//! `proxy` target against the same upstream.

use super::{launch, Mongrel2, SERVER_UUID};

impl Mongrel2 {
    /// Starts Mongrel2 proxying every path to 127.0.0.1:`upstream_port`.
    pub fn start_proxy(upstream_port: u16) -> anyhow::Result<Mongrel2> {
        let prepare = |_: &std::path::Path, p: &[u16]| Ok(config_text(p[0], upstream_port));
        launch::start(
            "Mongrel2 (proxy)",
            "scale0-m2proxy-",
            1,
            &prepare,
            &|_, _| {},
        )
    }
}

fn config_text(http_port: u16, upstream_port: u16) -> String {
    format!(
        r#"up = Proxy(addr='127.0.0.1', port={upstream_port})
main = Server(uuid="{SERVER_UUID}", access_log="/logs/access.log", error_log="/logs/error.log",
    chroot="./", pid_file="/run/mongrel2.pid", default_host="localhost", name="peer",
    bind_addr="127.0.0.1", port={http_port},
    hosts=[Host(name="localhost", routes={{'/': up}})])
settings = {{"server.daemonize": "0"}}
servers = [main]
"#
    )
}
