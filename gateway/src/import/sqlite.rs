//! The SQLite database `m2sh load -config X.conf -db X.sqlite` writes (the file Mongrel2 itself
//! runs from) → the [`Site`] model. Tables and columns as in Mongrel2 1.12's `config.sql`
//! (docs/mongrel2-protocol.md §7); columns added after 1.0 (`control_port`) and the `filter` and
//! `xrequest` tables may be missing from older databases and then read as empty. The database
//! is opened read-only. The `mimetype` table is not read into the model: m2sh fills it with its
//! built-in table and, in 1.12, loses the entries of a config's `mimetypes = {...}` (it deletes
//! the built-in row of each extension named and inserts nothing), so it says nothing about the
//! site.

use std::path::Path;

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OpenFlags, Row};

use super::error::{Error, Warning};
use super::model::{Dir, Handler, Host, Proxy, Route, Server, Site, Target};

/// The first 16 bytes of every SQLite 3 database file.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Most rows read from one table: far above any real Mongrel2 config, low enough that a hostile
/// database cannot make the importer allocate without bound.
pub const MAX_ROWS: usize = 100_000;

/// Reads the database at `path`.
pub fn load(path: &Path) -> Result<Site, Error> {
    let db = Db {
        path,
        conn: Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|error| sql_error(path, "open", error))?,
    };
    let mut site = Site::default();
    for (id, mut server) in db.rows("SELECT * FROM server ORDER BY id", [], server)? {
        for (host_id, mut host) in db.rows(
            "SELECT * FROM host WHERE server_id = ?1 ORDER BY id",
            [id],
            host,
        )? {
            host.routes = db.routes(host_id, &host.name, &mut site.skipped)?;
            server.hosts.push(host);
        }
        for (table, list) in [
            ("filter", &mut server.filters),
            ("xrequest", &mut server.xrequests),
        ] {
            if db.has_table(table)? {
                let query = format!("SELECT * FROM {table} WHERE server_id = ?1 ORDER BY id");
                *list = db
                    .rows(&query, [id], |row| {
                        text(row, "name").map(Option::unwrap_or_default)
                    })?
                    .into_iter()
                    .map(|(_, name)| name)
                    .collect();
            }
        }
        site.servers.push(server);
    }
    site.settings = db.pairs("SELECT * FROM setting ORDER BY id", "key", "value")?;
    let builtin = db.pairs(
        "SELECT * FROM mimetype ORDER BY id",
        "extension",
        "mimetype",
    )?;
    if !builtin.is_empty() {
        site.skipped.push(Warning::new(
            "mimetype table",
            format!(
                "{} rows not converted: they are m2sh's built-in table (m2sh 1.12 stores none of a \
                 config's `mimetypes = {{...}}`; import the .conf to keep those); Scale0's dir \
                 targets have their own built-in table",
                builtin.len()
            ),
        ));
    }
    Ok(site)
}

/// An open database and its path for errors.
struct Db<'a> {
    path: &'a Path,
    conn: Connection,
}

impl Db<'_> {
    /// Rows of `query` as `(id, T)`, at most [`MAX_ROWS`].
    fn rows<T>(
        &self,
        query: &str,
        params: impl rusqlite::Params,
        read: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<(i64, T)>, Error> {
        let fail = |error| sql_error(self.path, query, error);
        let mut statement = self.conn.prepare(query).map_err(fail)?;
        let mut rows = statement.query(params).map_err(fail)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(fail)? {
            if out.len() >= MAX_ROWS {
                return Err(Error::TooManyRows {
                    path: self.path.to_owned(),
                    query: query.to_owned(),
                    max: MAX_ROWS,
                });
            }
            out.push((row.get("id").map_err(fail)?, read(row).map_err(fail)?));
        }
        Ok(out)
    }

    /// Two text columns of every row, sorted by the first; a later row wins for a repeated key.
    fn pairs(&self, query: &str, key: &str, value: &str) -> Result<Vec<(String, String)>, Error> {
        let rows = self.rows(query, [], |row| {
            Ok((
                text(row, key)?.unwrap_or_default(),
                text(row, value)?.unwrap_or_default(),
            ))
        })?;
        let mut out: Vec<(String, String)> = Vec::with_capacity(rows.len());
        for (_, (k, v)) in rows {
            out.retain(|(other, _)| other != &k);
            out.push((k, v));
        }
        out.sort();
        Ok(out)
    }

    fn has_table(&self, table: &str) -> Result<bool, Error> {
        let query = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1";
        self.conn
            .query_row(query, [table], |row| row.get::<_, i64>(0))
            .map(|n| n > 0)
            .map_err(|error| sql_error(self.path, query, error))
    }

    /// The routes of host `host_id`, each with its target row.
    fn routes(
        &self,
        host_id: i64,
        host: &str,
        skipped: &mut Vec<Warning>,
    ) -> Result<Vec<Route>, Error> {
        let rows = self.rows(
            "SELECT * FROM route WHERE host_id = ?1 ORDER BY id",
            [host_id],
            |row| {
                Ok((
                    text(row, "path")?.unwrap_or_default(),
                    number(row, "target_id")?.unwrap_or(0),
                    text(row, "target_type")?.unwrap_or_default(),
                ))
            },
        )?;
        let mut routes = Vec::with_capacity(rows.len());
        for (_, (path, target_id, kind)) in rows {
            let (table, read): (&str, fn(&Row<'_>) -> rusqlite::Result<Target>) = match kind
                .as_str()
            {
                "handler" => ("handler", handler),
                "dir" => ("directory", dir),
                "proxy" => ("proxy", proxy),
                other => {
                    skipped.push(Warning::new(
                        format!("Host {host:?} route {path:?}"),
                        format!("target_type {other:?} is not handler, dir or proxy; Mongrel2 skips it too"),
                    ));
                    continue;
                }
            };
            let query = format!("SELECT * FROM {table} WHERE id = ?1");
            match self.rows(&query, [target_id], read)?.pop() {
                Some((_, target)) => routes.push(Route { path, target }),
                None => skipped.push(Warning::new(
                    format!("Host {host:?} route {path:?}"),
                    format!("no {table} row with id {target_id}; Mongrel2 would refuse to start"),
                )),
            }
        }
        Ok(routes)
    }
}

fn server(row: &Row<'_>) -> rusqlite::Result<Server> {
    Ok(Server {
        uuid: text(row, "uuid")?,
        name: text(row, "name")?,
        bind_addr: text(row, "bind_addr")?,
        port: number(row, "port")?,
        access_log: text(row, "access_log")?,
        error_log: text(row, "error_log")?,
        chroot: text(row, "chroot")?,
        pid_file: text(row, "pid_file")?,
        control_port: text(row, "control_port")?,
        default_host: text(row, "default_host")?,
        use_ssl: number(row, "use_ssl")?.is_some_and(|n| n != 0),
        ..Server::default()
    })
}

fn host(row: &Row<'_>) -> rusqlite::Result<Host> {
    let name = text(row, "name")?.unwrap_or_default();
    Ok(Host {
        matching: text(row, "matching")?.unwrap_or_else(|| name.clone()),
        name,
        routes: Vec::new(),
    })
}

fn handler(row: &Row<'_>) -> rusqlite::Result<Target> {
    Ok(Target::Handler(Handler {
        send_spec: text(row, "send_spec")?,
        send_ident: text(row, "send_ident")?,
        recv_spec: text(row, "recv_spec")?,
        recv_ident: text(row, "recv_ident")?,
        raw_payload: number(row, "raw_payload")?.unwrap_or(0),
        protocol: text(row, "protocol")?,
    }))
}

fn dir(row: &Row<'_>) -> rusqlite::Result<Target> {
    Ok(Target::Dir(Dir {
        base: text(row, "base")?,
        index_file: text(row, "index_file")?,
        default_ctype: text(row, "default_ctype")?,
        cache_ttl: number(row, "cache_ttl")?.unwrap_or(0),
    }))
}

fn proxy(row: &Row<'_>) -> rusqlite::Result<Target> {
    Ok(Target::Proxy(Proxy {
        addr: text(row, "addr")?,
        port: number(row, "port")?,
    }))
}

/// A column as text (SQLite is loosely typed: numbers are turned into their decimal text); a
/// column the table lacks reads as NULL.
fn text(row: &Row<'_>, column: &str) -> rusqlite::Result<Option<String>> {
    Ok(match cell(row, column)? {
        Sql::Text(text) => Some(text),
        Sql::Integer(n) => Some(n.to_string()),
        Sql::Real(x) => Some(x.to_string()),
        Sql::Null | Sql::Blob(_) => None,
    })
}

/// A column as a non-negative integer (text holding digits counts; anything else reads as NULL).
fn number(row: &Row<'_>, column: &str) -> rusqlite::Result<Option<u64>> {
    Ok(match cell(row, column)? {
        Sql::Integer(n) => u64::try_from(n).ok(),
        Sql::Text(text) => text.trim().parse().ok(),
        Sql::Real(_) | Sql::Null | Sql::Blob(_) => None,
    })
}

fn cell(row: &Row<'_>, column: &str) -> rusqlite::Result<Sql> {
    match row.get::<_, Sql>(column) {
        Err(rusqlite::Error::InvalidColumnName(_)) => Ok(Sql::Null),
        other => other,
    }
}

fn sql_error(path: &Path, what: &str, error: rusqlite::Error) -> Error {
    Error::Sqlite {
        path: path.to_owned(),
        what: what.to_owned(),
        error,
    }
}

#[cfg(test)]
mod tests;
