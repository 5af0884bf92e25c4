//! A Scale0 gateway running in the test process, on its own runtime thread:
//! the real server code on real sockets, started from a TOML config with
//! `127.0.0.1:0` listeners, stopped (drained) when dropped.

use std::net::SocketAddr;
use std::time::Duration;

use scale0_gateway::config::Config;
use scale0_gateway::server::Gateway as Server;
use tokio_util::sync::CancellationToken;

/// How long a stopping gateway may take to drain.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// A running gateway.
pub struct Gateway {
    /// The first listener's address.
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Gateway {
    /// Validates `toml` and serves it (listeners should bind port 0).
    pub fn start(toml: &str) -> anyhow::Result<Gateway> {
        let config = Config::from_toml_str(toml)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let shutdown = CancellationToken::new();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let stop = shutdown.clone();
        let thread = std::thread::Builder::new()
            .name("scale0-gateway".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match Server::bind(&config, stop.clone()).await {
                        Ok(server) => {
                            let _ = ready_tx.send(Ok(server.local_addrs()));
                            server.serve(stop).await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let addrs = ready_rx.recv_timeout(STOP_DEADLINE)??;
        let addr = *addrs
            .first()
            .ok_or_else(|| anyhow::anyhow!("gateway has no listener"))?;
        Ok(Gateway {
            addr,
            shutdown,
            thread: Some(thread),
        })
    }

    /// The HTTP port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A config with one listener on 127.0.0.1:0 and route `/` to a handler
/// target on `send_spec`/`recv_spec`; `extra` is appended to `[defaults]`.
pub fn handler_config(send_spec: &str, recv_spec: &str, protocol: &str, defaults: &str) -> String {
    format!(
        r#"[gateway]
sender_id = "{sender}"

[[listener]]
bind = "127.0.0.1:0"

[defaults]
{defaults}

[[host]]
name = "localhost"
default = true
  [[host.route]]
  path = "/"
  target = "app"

[target.app]
type = "handler"
send_spec = "{send_spec}"
recv_spec = "{recv_spec}"
protocol = "{protocol}"
"#,
        sender = crate::mongrel2::DEFAULT_SEND_IDENT,
    )
}
