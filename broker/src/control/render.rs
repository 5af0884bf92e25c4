//! `scale0 ctl status` output: the status JSON as aligned tables. Tolerant of missing fields (shown as
//! `-`), so a newer broker's answer still renders.

use std::fmt::Write;

use serde_json::Value;

/// Renders a `status` result (the JSON [`query`](super::query) returns) as readable tables: services,
/// workers, then gateways and the main counters.
pub fn render_status(status: &Value) -> String {
    let mut text = String::new();
    let services: Vec<Vec<String>> = list(status, "services")
        .iter()
        .map(|s| {
            vec![
                string(s, "name"),
                number(s, "workers"),
                number(s, "ready_slots"),
                number(s, "queue_depth"),
                seconds(s, "oldest_wait_ms"),
            ]
        })
        .collect();
    text.push_str("SERVICES\n");
    table(
        &mut text,
        &["NAME", "WORKERS", "READY", "QUEUED", "OLDEST WAIT"],
        &services,
    );
    let workers: Vec<Vec<String>> = list(status, "workers")
        .iter()
        .map(|w| {
            let state = match w.get("draining").and_then(Value::as_bool) {
                Some(true) => "draining",
                Some(false) => "ready",
                None => "-",
            };
            vec![
                string(w, "identity"),
                names(w, "services"),
                number(w, "capacity"),
                number(w, "in_flight"),
                seconds(w, "last_heard_ms"),
                state.to_owned(),
            ]
        })
        .collect();
    text.push_str("\nWORKERS\n");
    table(
        &mut text,
        &[
            "IDENTITY",
            "SERVICES",
            "CAPACITY",
            "IN FLIGHT",
            "LAST HEARD",
            "STATE",
        ],
        &workers,
    );
    let gateways = names(status, "gateways");
    let _ = writeln!(
        text,
        "\ngateways: {gateways}   requests tracked: {}",
        number(status, "requests")
    );
    let counters = status.get("counters").unwrap_or(&Value::Null);
    let io = status.get("io").unwrap_or(&Value::Null);
    let _ = writeln!(
        text,
        "dispatched {}   completed {}   retried {}   failed 502/503/504: {}/{}/{}   \
         dropped to gateways: {} full, {} gone",
        number(counters, "dispatched"),
        number(counters, "completed"),
        number(counters, "retried"),
        number(counters, "failed_502"),
        number(counters, "failed_503"),
        number(counters, "failed_504"),
        number(io, "gateway_full_drops"),
        number(io, "gateway_gone_drops"),
    );
    text
}

/// Appends a table: text columns (the first, and any whose cells are not all numbers) left-aligned,
/// numeric ones right-aligned; `(none)` when there are no rows.
fn table(text: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        text.push_str("(none)\n");
        return;
    }
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(column, header)| {
            let cells = rows
                .iter()
                .filter_map(|r| r.get(column))
                .map(|c| c.chars().count());
            cells.chain([header.len()]).max().unwrap_or(0)
        })
        .collect();
    let numeric: Vec<bool> = (0..headers.len())
        .map(|column| {
            column > 0
                && rows.iter().filter_map(|r| r.get(column)).all(|cell| {
                    cell == "-"
                        || cell
                            .chars()
                            .all(|c| c.is_ascii_digit() || c == '.' || c == 's')
                })
        })
        .collect();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut row = String::new();
        for (column, cell) in cells.enumerate() {
            let width = widths.get(column).copied().unwrap_or(0);
            if column > 0 {
                row.push_str("  ");
            }
            if numeric.get(column).copied().unwrap_or(false) {
                let _ = write!(row, "{cell:>width$}");
            } else {
                let _ = write!(row, "{cell:<width$}");
            }
        }
        text.push_str(row.trim_end());
        text.push('\n');
    };
    line(&mut headers.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
}

fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn string(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("-")
        .to_owned()
}

fn number(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_u64)
        .map_or_else(|| "-".to_owned(), |n| n.to_string())
}

/// A millisecond field shown in seconds with one decimal (`-` when absent or null).
fn seconds(value: &Value, key: &str) -> String {
    value.get(key).and_then(Value::as_u64).map_or_else(
        || "-".to_owned(),
        |ms| format!("{:.1}s", ms as f64 / 1000.0),
    )
}

/// A list of strings joined with commas (`-` when empty or absent).
fn names(value: &Value, key: &str) -> String {
    let names: Vec<&str> = list(value, key).iter().filter_map(Value::as_str).collect();
    if names.is_empty() {
        "-".to_owned()
    } else {
        names.join(",")
    }
}
