//! The test site and the client helpers the dir stories share: a temp
//! directory laid out like a small web site (plus a file next to the base
//! that must never leak), a gateway serving it on the Mongrel2 peer's routes,
//! and one-request-per-connection calls.

use std::path::Path;
use std::time::Duration;

use scale0_tests::client::{split_response, Conn, Split};
use scale0_tests::gateway::Gateway;
use scale0_tests::mongrel2::{DIR_BASE, DIR_DEFAULT_CTYPE, DIR_INDEX, DIR_ROUTES};

/// Longest wait for one response.
pub const DEADLINE: Duration = Duration::from_secs(10);
/// What the file outside the base holds; no answer may contain it.
pub const SECRET: &str = "top secret outside the base";
/// Size of the big file (streamed, not inlined).
pub const BIG: usize = 1024 * 1024;

/// The content of the big file.
pub fn big_content() -> Vec<u8> {
    (0..BIG).map(|i| (i % 251) as u8).collect()
}

/// Fills `<root>/site/` (and `<root>/outside.txt`) with the test site.
pub fn populate(root: &Path) -> anyhow::Result<()> {
    let site = root.join(DIR_BASE);
    for d in ["sub", "noidx"] {
        std::fs::create_dir_all(site.join(d))?;
    }
    for (name, text) in [
        ("a.txt", "hello\n"),
        ("index.html", "<h1>index</h1>\n"),
        ("sub/index.html", "sub index\n"),
        ("style.css", "body{}\n"),
        ("x.js", "let x;\n"),
        ("d.json", "{}\n"),
        ("README", "no extension\n"),
        (".hidden", "hidden\n"),
    ] {
        std::fs::write(site.join(name), text)?;
    }
    std::fs::write(site.join("big.bin"), big_content())?;
    std::fs::write(root.join("outside.txt"), SECRET)?;
    std::os::unix::fs::symlink("../outside.txt", site.join("link_out"))?;
    std::os::unix::fs::symlink("a.txt", site.join("link_in"))?;
    Ok(())
}

/// A gateway serving `<root>/site/` on the same routes as the Mongrel2 peer.
pub fn gateway_for(root: &Path, extra: &str) -> Gateway {
    let mut routes = String::new();
    for r in DIR_ROUTES {
        routes.push_str(&format!(
            "  [[host.route]]\n  path = \"{r}\"\n  target = \"site\"\n"
        ));
    }
    let toml = format!(
        r#"[gateway]
{extra}

[[listener]]
bind = "127.0.0.1:0"

[[host]]
name = "localhost"
default = true
{routes}
[target.site]
type = "dir"
base = "{base}/"
index_file = "{DIR_INDEX}"
default_ctype = "{DIR_DEFAULT_CTYPE}"
"#,
        base = root.join(DIR_BASE).display(),
    );
    Gateway::start(&toml).unwrap()
}

/// A gateway over a fresh temp site.
pub fn served(extra: &str) -> (tempfile::TempDir, Gateway) {
    let root = tempfile::tempdir().unwrap();
    populate(root.path()).unwrap();
    let gateway = gateway_for(root.path(), extra);
    (root, gateway)
}

/// One request on a fresh connection (`Connection: close`).
pub fn request(port: u16, method: &str, target: &str, headers: &[&str]) -> Split {
    let mut c = Conn::connect(port).unwrap();
    let mut text =
        format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    c.send(text.as_bytes()).unwrap();
    let bytes = if method == "HEAD" {
        c.read_until(DEADLINE, |b| {
            scale0_tests::client::find(b, b"\r\n\r\n").is_some()
        })
        .unwrap()
    } else {
        c.read_to_eof(DEADLINE).unwrap()
    };
    split_response(&bytes).unwrap()
}

/// The value of `name` in a split response.
pub fn header<'a>(split: &'a Split, name: &str) -> Option<&'a str> {
    split
        .1
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}
