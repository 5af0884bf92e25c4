use super::*;

/// An old-style database (Mongrel2 1.7's `config.sql`: no `control_port`, no `filter` or
/// `xrequest` table), filled by hand with the odd rows SQLite allows.
const OLD_SCHEMA: &str = "
    CREATE TABLE server (id INTEGER PRIMARY KEY, uuid TEXT, access_log TEXT, error_log TEXT,
        chroot TEXT, pid_file TEXT, default_host TEXT, name TEXT, bind_addr TEXT, port INTEGER,
        use_ssl INTEGER);
    CREATE TABLE host (id INTEGER PRIMARY KEY, server_id INTEGER, maintenance BOOLEAN,
        name TEXT, matching TEXT);
    CREATE TABLE handler (id INTEGER PRIMARY KEY, send_spec TEXT, send_ident TEXT,
        recv_spec TEXT, recv_ident TEXT, raw_payload INTEGER, protocol TEXT);
    CREATE TABLE proxy (id INTEGER PRIMARY KEY, addr TEXT, port INTEGER);
    CREATE TABLE directory (id INTEGER PRIMARY KEY, base TEXT, index_file TEXT,
        default_ctype TEXT, cache_ttl INTEGER);
    CREATE TABLE route (id INTEGER PRIMARY KEY, path TEXT, reversed BOOLEAN, host_id INTEGER,
        target_id INTEGER, target_type TEXT);
    CREATE TABLE setting (id INTEGER PRIMARY KEY, key TEXT, value TEXT);
    CREATE TABLE mimetype (id INTEGER PRIMARY KEY, mimetype TEXT, extension TEXT);
";

fn database(rows: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.sqlite");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(OLD_SCHEMA).unwrap();
    conn.execute_batch(rows).unwrap();
    (dir, path)
}

#[test]
fn reads_servers_hosts_routes_and_targets_by_id() {
    let (_dir, path) = database(
        "INSERT INTO server VALUES (2, 'u2', NULL, NULL, '', NULL, 'b', 'second', '0.0.0.0', 2, 0);
         INSERT INTO server VALUES (1, 'u1', '/a.log', NULL, './', NULL, 'a', 'first', NULL, '6767', 1);
         INSERT INTO host VALUES (1, 1, 0, 'a', NULL);
         INSERT INTO host VALUES (2, 2, 0, 'b', 'b');
         INSERT INTO handler VALUES (1, 'tcp://127.0.0.1:1', NULL, 'tcp://127.0.0.1:2', '', 1, 'tnetstring');
         INSERT INTO directory VALUES (1, 'd/', NULL, 'text/plain', 0);
         INSERT INTO proxy VALUES (1, '127.0.0.1', 8080);
         INSERT INTO route VALUES (1, '/h', 0, 1, 1, 'handler');
         INSERT INTO route VALUES (2, '/d/', 0, 1, 1, 'dir');
         INSERT INTO route VALUES (3, '/p/', 0, 2, 1, 'proxy');
         INSERT INTO setting VALUES (1, 'zeromq.threads', 1);
         INSERT INTO mimetype VALUES (1, 'text/html', '.html');",
    );
    let site = load(&path).unwrap();
    let first = &site.servers[0];
    assert_eq!(first.uuid.as_deref(), Some("u1"));
    assert_eq!(
        first.port,
        Some(6767),
        "text holding digits reads as a number"
    );
    assert!(first.use_ssl);
    assert_eq!(first.control_port, None, "a missing column reads as NULL");
    assert!(first.filters.is_empty(), "a missing table reads as empty");
    assert_eq!(first.hosts[0].matching, "a", "NULL matching is the name");
    assert_eq!(
        first.hosts[0].routes[0].target,
        Target::Handler(Handler {
            send_spec: Some("tcp://127.0.0.1:1".into()),
            send_ident: None,
            recv_spec: Some("tcp://127.0.0.1:2".into()),
            recv_ident: Some(String::new()),
            raw_payload: 1,
            protocol: Some("tnetstring".into()),
        })
    );
    assert!(matches!(first.hosts[0].routes[1].target, Target::Dir(_)));
    assert_eq!(site.servers[1].hosts[0].routes[0].path, "/p/");
    assert_eq!(
        site.settings,
        [("zeromq.threads".to_owned(), "1".to_owned())]
    );
    assert!(site.mimetypes.is_empty());
    assert!(site.skipped[0].object.contains("mimetype table"));
}

#[test]
fn routes_mongrel2_could_not_follow_are_skipped_with_reasons() {
    let (_dir, path) = database(
        "INSERT INTO server VALUES (1, 'u1', NULL, NULL, NULL, NULL, 'a', 'n', NULL, 1, 0);
         INSERT INTO host VALUES (1, 1, 0, 'a', 'a');
         INSERT INTO route VALUES (1, '/x', 0, 1, 7, 'handler');
         INSERT INTO route VALUES (2, '/y', 0, 1, 1, 'filter');",
    );
    let site = load(&path).unwrap();
    assert!(site.servers[0].hosts[0].routes.is_empty());
    let reasons: Vec<&str> = site.skipped.iter().map(|w| w.reason.as_str()).collect();
    assert!(
        reasons[0].contains("no handler row with id 7"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("\"filter\""), "{reasons:?}");
}

#[test]
fn a_table_too_large_is_refused_before_it_is_all_read() {
    let (_dir, path) = database(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x <= 100000)
         INSERT INTO setting (key, value) SELECT 'k' || x, 'v' FROM n;",
    );
    assert!(matches!(
        load(&path),
        Err(Error::TooManyRows { max: MAX_ROWS, .. })
    ));
}

#[test]
fn a_database_without_mongrel2_tables_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER);")
        .unwrap();
    assert!(matches!(load(&path), Err(Error::Sqlite { .. })));
}
