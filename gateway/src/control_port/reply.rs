//! Reply frames, built as tnetstring values so key order (`headers` before
//! `rows`, `code` before `error`) and encoding are Mongrel2's.

use mongrel2_compat::tnetstring::Value;

use super::{text, ServerInfo, TaskRow, HELP};
use crate::registry::Row;

/// `status net` columns.
pub(super) const NET_HEADERS: [&str; 8] = [
    "id",
    "fd",
    "type",
    "last_ping",
    "last_read",
    "last_write",
    "bytes_read",
    "bytes_written",
];

/// `status tasks` columns.
pub(super) const TASK_HEADERS: [&str; 5] = ["id", "system", "name", "state", "status"];

/// `info` columns.
pub(super) const INFO_HEADERS: [&str; 8] = [
    "port",
    "bind_addr",
    "uuid",
    "chroot",
    "access_log",
    "error_log",
    "pid_file",
    "default_hostname",
];

/// `{"headers": [...], "rows": [...]}`.
pub(super) fn table(headers: &[&str], rows: Vec<Value<'_>>) -> Vec<u8> {
    Value::Dict(vec![
        (
            &b"headers"[..],
            Value::List(headers.iter().map(|h| text(h)).collect()),
        ),
        (&b"rows"[..], Value::List(rows)),
    ])
    .to_vec()
}

/// A one-column, one-row table.
pub(super) fn single(header: &str, value: &str) -> Vec<u8> {
    table(&[header], vec![Value::List(vec![text(value)])])
}

/// `{"code": code, "error": message}`.
pub(super) fn coded_error(code: &str, message: &str) -> Vec<u8> {
    Value::Dict(vec![
        (&b"code"[..], text(code)),
        (&b"error"[..], text(message)),
    ])
    .to_vec()
}

/// `{"error": message}`.
pub(super) fn bare_error(message: &str) -> Vec<u8> {
    Value::Dict(vec![(&b"error"[..], text(message))]).to_vec()
}

/// `help`.
pub(super) fn help() -> Vec<u8> {
    let rows = HELP
        .iter()
        .map(|(name, help)| Value::List(vec![text(name), text(help)]))
        .collect();
    table(&["name", "help"], rows)
}

fn int(n: u64) -> Value<'static> {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// `status net`.
pub(super) fn net(conns: &[Row]) -> Vec<u8> {
    let rows = conns
        .iter()
        .map(|r| {
            Value::List(vec![
                int(r.id),
                Value::Int(r.fd),
                Value::Int(i64::from(r.kind)),
                int(r.last_ping),
                int(r.last_read),
                int(r.last_write),
                int(r.bytes_read),
                int(r.bytes_written),
            ])
        })
        .collect();
    table(&NET_HEADERS, rows)
}

/// `status tasks`.
pub(super) fn tasks(tasks: &[TaskRow]) -> Vec<u8> {
    let rows = tasks
        .iter()
        .map(|t| {
            Value::List(vec![
                int(t.id),
                Value::Bool(t.system),
                text(&t.name),
                text(&t.state),
                text(&t.status),
            ])
        })
        .collect();
    table(&TASK_HEADERS, rows)
}

/// `info`.
pub(super) fn info(i: &ServerInfo) -> Vec<u8> {
    let row = Value::List(vec![
        Value::Int(i64::from(i.port)),
        text(&i.bind_addr),
        text(&i.uuid),
        text(&i.chroot),
        text(&i.access_log),
        text(&i.error_log),
        text(&i.pid_file),
        text(&i.default_hostname),
    ]);
    table(&INFO_HEADERS, vec![row])
}
