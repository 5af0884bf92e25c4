//! `scale0 import-mongrel2` on every example config Debian ships with Mongrel2
//! (fixtures/mongrel2-configs): the real binary converts each one, the result passes `scale0
//! check`, routes every Mongrel2 route to the same kind of target, and importing the SQLite
//! database the real `m2sh load` makes of the file gives the same TOML. A set of odd inputs shows
//! our parser accepts and refuses exactly what m2sh does.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scale0_gateway::config::{Config, TargetKind};
use scale0_gateway::routing::Router;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/mongrel2-configs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "conf"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        9,
        "expected Debian's 9 example configs in {dir:?}"
    );
    files
}

fn scale0(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scale0"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `scale0 import-mongrel2 FILE -o OUT`; returns the TOML and the stderr lines.
fn import(file: &Path, out: &Path) -> (String, Vec<String>) {
    let output = scale0(&[
        "import-mongrel2".as_ref(),
        file.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "import of {file:?} failed:\n{stderr}"
    );
    assert!(output.stdout.is_empty(), "-o given, yet stdout was written");
    let lines: Vec<String> = stderr.lines().map(str::to_owned).collect();
    for line in &lines {
        assert!(
            line.starts_with("scale0 import-mongrel2: "),
            "stray stderr line {line:?}"
        );
    }
    (std::fs::read_to_string(out).unwrap(), lines)
}

/// `m2sh load` into `db`; `false` when m2sh refused the file (it exits 0 either way, but then
/// writes no server table).
fn m2sh_load(conf: &Path, db: &Path) -> bool {
    let dir = db.parent().unwrap();
    let status = Command::new("m2sh")
        .args(["load", "-config"])
        .arg(conf)
        .arg("-db")
        .arg(db)
        .env("LOGNAME", "scale0-tests")
        .current_dir(dir)
        .output()
        .expect("m2sh (Debian mongrel2-core, installed by scripts/setup) must be on PATH");
    assert!(status.status.success());
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return false;
    };
    conn.query_row("SELECT count(*) FROM server", [], |row| {
        row.get::<_, i64>(0)
    })
    .is_ok_and(|n| n > 0)
}

/// The TOML without its `[mimetypes]` section (m2sh 1.12 does not store a config's mimetypes).
fn without_mimetypes(toml: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in toml.lines() {
        if line.starts_with('[') {
            skipping = line.starts_with("[mimetypes]");
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A warning each example must produce: the thing in it Scale0 has no equivalent for.
const EXPECTED_WARNINGS: &[(&str, &str)] = &[
    (
        "configs-filters",
        "Filter \"/usr/local/lib/mongrel2/filters/null.so\"",
    ),
    ("configs-multi", "3 servers defined"),
    ("configs-complex", "\"zeromq.threads\""),
    ("configs-mongrel2", "\"upload.temp_store\": value"),
    ("ws-mongrel2", "\"limits.min_ping\""),
    ("ws-mongrel2", "Server(matching=...)"),
];

#[test]
fn every_debian_example_converts_and_passes_scale0_check() {
    let dir = tempfile::tempdir().unwrap();
    for conf in fixtures() {
        let out = dir
            .path()
            .join(conf.file_name().unwrap())
            .with_extension("toml");
        let (toml, warnings) = import(&conf, &out);
        assert!(toml.contains("[[listener]]"), "{conf:?}:\n{toml}");
        assert!(
            warnings.iter().any(|w| w.contains("chroot=")),
            "{conf:?}: every example sets chroot, which is not converted: {warnings:#?}"
        );
        let name = conf.file_stem().unwrap().to_string_lossy();
        if let Some((_, expected)) = EXPECTED_WARNINGS.iter().find(|(n, _)| *n == name) {
            assert!(
                warnings.iter().any(|w| w.contains(expected)),
                "{name}: no warning containing {expected:?}: {warnings:#?}"
            );
        }
        let check = scale0(&["check".as_ref(), out.as_os_str()]);
        assert!(
            check.status.success(),
            "scale0 check {conf:?}: {}\n{toml}",
            String::from_utf8_lossy(&check.stderr)
        );
        Config::load(&out).unwrap();
    }
}

#[test]
fn the_sqlite_m2sh_makes_imports_to_the_same_toml() {
    let dir = tempfile::tempdir().unwrap();
    for conf in fixtures() {
        let name = conf.file_stem().unwrap().to_string_lossy().into_owned();
        let db = dir.path().join(format!("{name}.sqlite"));
        assert!(m2sh_load(&conf, &db), "m2sh refused Debian's own {conf:?}");
        let (from_conf, _) = import(&conf, &dir.path().join(format!("{name}.conf.toml")));
        let (from_db, warnings) = import(&db, &dir.path().join(format!("{name}.db.toml")));
        if name == "configs-multi_handler" {
            assert!(from_conf.contains("\".ttf\" = \"application/x-font-ttf\""));
            assert!(warnings.iter().any(|w| w.contains("mimetype table")));
            assert_eq!(without_mimetypes(&from_conf), from_db, "{name}");
        } else {
            assert_eq!(from_conf, from_db, "{name}: .conf and .sqlite differ");
        }
        routes_like_the_database(&db, &Config::from_toml_str(&from_db).unwrap());
    }
}

/// Every plain route of the database's chosen (first) server reaches, through the converted
/// config's router, the route with the same path and a target of the same kind and address.
fn routes_like_the_database(db: &Path, config: &Config) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut query = conn
        .prepare(
            "SELECT host.name, route.path, route.target_type, \
               coalesce(handler.send_spec, directory.base, proxy.addr || ':' || proxy.port) \
             FROM route JOIN host ON route.host_id = host.id \
             LEFT JOIN handler ON route.target_type = 'handler' AND handler.id = route.target_id \
             LEFT JOIN directory ON route.target_type = 'dir' AND directory.id = route.target_id \
             LEFT JOIN proxy ON route.target_type = 'proxy' AND proxy.id = route.target_id \
             WHERE host.server_id = (SELECT min(id) FROM server)",
        )
        .unwrap();
    let rows: Vec<(String, String, String, String)> = query
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!rows.is_empty(), "{db:?} has no routes");
    let router = Router::new(config);
    for (host, path, kind, address) in rows {
        if path.contains('(') {
            continue;
        }
        let found = router
            .route(Some(host.as_bytes()), path.as_bytes())
            .unwrap_or_else(|| panic!("{db:?}: host {host:?} path {path:?} is a 404"));
        assert_eq!(found.pattern, path, "{db:?}: host {host:?}");
        let same = match (&found.target.kind, kind.as_str()) {
            (TargetKind::Handler(h), "handler") => h.send_spec.as_str() == address,
            (TargetKind::Dir(d), "dir") => d.base.to_string_lossy().ends_with(&address),
            (TargetKind::Proxy(p), "proxy") => p.url.to_string().contains(&address),
            _ => false,
        };
        assert!(
            same,
            "{db:?}: {host:?} {path:?} should reach {kind} {address}, got {:?}",
            found.target
        );
    }
}

#[test]
fn odd_inputs_are_accepted_or_refused_exactly_as_m2sh_does() {
    let handler = "h = Handler(send_spec='tcp://127.0.0.1:1', send_ident='a', \
                   recv_spec='tcp://127.0.0.1:2', recv_ident='')";
    let server =
        "main = Server(uuid='u1', name='n', chroot='./', access_log='/a', error_log='/e', \
                  pid_file='/p', default_host='localhost', port=6767, \
                  hosts=[Host(name='localhost', routes={'/': h})])\nservers = [main]";
    let cases = [
        ("commas left out", format!("{handler}\nmain = Server(uuid='u1' name='n' port=1 hosts=[Host(name='localhost' routes={{'/': h '/x': h}})])\nservers = [main]")),
        ("comments and newlines in strings", format!("{handler} # c\nsettings = {{'a': 'x\ny'}}\n{server} # end")),
        ("backslashes in strings", format!("{handler}\nsettings = {{'a': 'it\\'s'}}\n{server}")),
        ("unknown class never used", format!("{handler}\nx = Foo(a=1)\n{server}")),
        ("trailing comma in a list", format!("{handler}\n{server}\nservers = [main,]")),
        ("trailing comma in a dict", format!("{handler}\nsettings = {{'a': 1,}}\n{server}")),
        ("negative number", format!("{handler}\nsettings = {{'a': -5}}\n{server}")),
        ("fraction", format!("{handler}\nsettings = {{'a': 1.5}}\n{server}")),
        ("True", format!("{handler}\nsettings = {{'a': True}}\n{server}")),
        ("identifier key", format!("{handler}\nsettings = {{a: 1}}\n{server}")),
        ("positional argument", format!("{handler}\nx = Dir('a/')\n{server}")),
        ("semicolon", format!("{handler};\n{server}")),
        ("capitalised variable", format!("{handler}\nMain = Server(uuid='u')\n{server}")),
        ("no servers variable", handler.to_owned()),
        ("empty file", String::new()),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (index, (what, text)) in cases.iter().enumerate() {
        let conf = dir.path().join(format!("case{index}.conf"));
        std::fs::write(&conf, text).unwrap();
        let m2sh = m2sh_load(&conf, &dir.path().join(format!("case{index}.sqlite")));
        let output = scale0(&["import-mongrel2".as_ref(), conf.as_os_str()]);
        assert_eq!(
            output.status.success(),
            m2sh,
            "{what}: m2sh {} it, scale0 {} it: {}",
            if m2sh { "accepts" } else { "refuses" },
            if output.status.success() {
                "accepts"
            } else {
                "refuses"
            },
            String::from_utf8_lossy(&output.stderr)
        );
        if !m2sh {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains(&format!("case{index}.conf:")),
                "{what}: the error names the file: {stderr}"
            );
        }
    }
}
