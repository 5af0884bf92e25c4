//! Mongrel2 serving static files: one host `localhost` with routes `/` and
//! `/static/` to a `Dir(base='site/')` in the peer's own directory (its
//! chroot when run as root), for differential tests of Scale0's `dir`
//! target against the same directory.

use std::path::{Path, PathBuf};

use super::{launch, Mongrel2, SERVER_UUID};

/// The routes of the Dir peer, each to the same `Dir`.
pub const DIR_ROUTES: [&str; 2] = ["/", "/static/"];
/// The base, relative to the peer's directory.
pub const DIR_BASE: &str = "site/";
/// The `index_file` of the Dir.
pub const DIR_INDEX: &str = "index.html";
/// The `default_ctype` of the Dir.
pub const DIR_DEFAULT_CTYPE: &str = "text/plain";

impl Mongrel2 {
    /// Starts Mongrel2 with a Dir at `<dir>/site/` (see [`DIR_ROUTES`]).
    /// `populate` gets the peer's directory and fills `site/` (and anything
    /// around it, such as a file a symlink points to); it runs once per
    /// start attempt, each in a fresh directory.
    pub fn start_dir(populate: &dyn Fn(&Path) -> anyhow::Result<()>) -> anyhow::Result<Mongrel2> {
        let prepare = |dir: &Path, p: &[u16]| {
            std::fs::create_dir_all(dir.join(DIR_BASE))?;
            populate(dir)?;
            Ok(config_text(p[0]))
        };
        launch::start("Mongrel2 (dir)", "scale0-m2dir-", 1, &prepare, &|_, _| {})
    }

    /// The served directory (`<dir>/site`).
    pub fn site(&self) -> PathBuf {
        self.dir().join(DIR_BASE)
    }
}

fn config_text(http_port: u16) -> String {
    let routes = DIR_ROUTES
        .iter()
        .map(|route| format!("'{route}': site"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"site = Dir(base='{DIR_BASE}', index_file='{DIR_INDEX}', default_ctype='{DIR_DEFAULT_CTYPE}')
main = Server(uuid="{SERVER_UUID}", access_log="/logs/access.log", error_log="/logs/error.log",
    chroot="./", pid_file="/run/mongrel2.pid", default_host="localhost", name="peer",
    bind_addr="127.0.0.1", port={http_port},
    hosts=[Host(name="localhost", routes={{{routes}}})])
settings = {{"server.daemonize": "0"}}
servers = [main]
"#
    )
}
