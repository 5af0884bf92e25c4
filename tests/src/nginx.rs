//! Real nginx as the reverse proxy in front of a gateway, as operators deploy
//! Scale0: `proxy_pass` over keep-alive HTTP/1.1 upstream connections, adding
//! the client to `X-Forwarded-For`.
//!
//! Each [`Nginx`] runs from its own config in a temp dir (pid file, logs and
//! temp paths inside it), in the foreground (`daemon off`), listening on a free
//! 127.0.0.1 port; it is stopped (SIGTERM, then SIGKILL) when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{ports, wait};

/// How long nginx may take to start listening.
const START_DEADLINE: Duration = Duration::from_secs(15);
/// How long nginx may take to stop after SIGTERM before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(5);
/// Idle upstream connections each worker keeps open to the gateway.
pub const UPSTREAM_KEEPALIVE: usize = 8;

/// A running nginx.
pub struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    /// HTTP port on 127.0.0.1.
    pub port: u16,
}

impl Nginx {
    /// Starts nginx proxying every path to `http://127.0.0.1:<upstream_port>`.
    pub fn start(upstream_port: u16) -> anyhow::Result<Nginx> {
        let binary = binary().ok_or_else(|| {
            anyhow::anyhow!("nginx not found: install nginx (scripts/setup does)")
        })?;
        let dir = tempfile::Builder::new().prefix("scale0-nginx-").tempdir()?;
        std::fs::create_dir_all(dir.path().join("tmp"))?;
        let port = ports::free_port()?;
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config_text(dir.path(), port, upstream_port))?;
        let child = Command::new(&binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr"))?)
            .spawn()?;
        let mut nginx = Nginx { child, dir, port };
        let waited = wait::until("nginx to listen", START_DEADLINE, || {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                return Some(Err(anyhow::anyhow!("nginx exited: {status}")));
            }
            wait::port_open(port).then_some(Ok(()))
        });
        match waited.and_then(|r| r) {
            Ok(()) => Ok(nginx),
            Err(e) => Err(e.context(nginx.logs())),
        }
    }

    /// nginx's working directory (config, logs, temp files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// nginx's stderr and error log, for failure messages.
    pub fn logs(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!(
            "nginx stderr:\n{}\nerror.log:\n{}",
            read("stderr"),
            read("error.log")
        )
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _terminate = Command::new("kill").args(["-TERM", &pid]).status();
        let stopped = wait::until("nginx to stop", STOP_DEADLINE, || {
            matches!(self.child.try_wait(), Ok(Some(_))).then_some(())
        });
        if stopped.is_err() {
            let _kill = self.child.kill();
            let _reap = self.child.wait();
        }
    }
}

/// Where nginx is installed (Debian puts it in /usr/sbin, often not on PATH).
pub fn binary() -> Option<PathBuf> {
    crate::mongrel2::which("nginx").or_else(|| {
        let sbin = PathBuf::from("/usr/sbin/nginx");
        sbin.is_file().then_some(sbin)
    })
}

fn config_text(dir: &Path, port: u16, upstream_port: u16) -> String {
    let dir = dir.display();
    format!(
        r#"# One worker, everything inside {dir}; `user` only matters when run as root.
user root;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;

events {{
    worker_connections 256;
}}

http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;

    upstream scale0 {{
        server 127.0.0.1:{upstream_port};
        keepalive {UPSTREAM_KEEPALIVE};
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://scale0;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"#
    )
}
