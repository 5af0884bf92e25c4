//! The hello handler: answers each request with a plain-text description of
//! it, so a person running `curl` sees what the handler received.
//!
//! Routes understood (any prefix the server routes here):
//! - `.../echo`: the response body is the request body;
//! - `.../close`: the reply is followed by an explicit close (empty message);
//! - `.../broadcast?ids=1,2`: the same reply to the listed conn ids as well;
//! - anything else: a description of the request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mongrel2_compat::handler::{self, Connection};
use mongrel2_compat::request::Request;

/// How often the serve loop checks its stop flag while idle.
const POLL: Duration = Duration::from_millis(100);

/// Serves requests on `conn` until `stop` is set. Returns how many requests
/// were answered.
pub fn serve(conn: &Connection, stop: &AtomicBool) -> Result<u64, handler::Error> {
    let mut answered = 0;
    while !stop.load(Ordering::Relaxed) {
        let Some(incoming) = conn.recv_timeout(POLL)? else {
            continue;
        };
        let request = match incoming.request() {
            Ok(request) => request,
            Err(e) => {
                tracing::warn!("dropped a malformed request message: {e}");
                continue;
            }
        };
        if request.is_notice() {
            continue;
        }
        answer(conn, &request)?;
        answered += 1;
    }
    Ok(answered)
}

/// Answers one HTTP request.
pub fn answer(conn: &Connection, request: &Request<'_>) -> Result<(), handler::Error> {
    let path = String::from_utf8_lossy(request.path);
    let plain = [("Content-Type", "text/plain; charset=utf-8")];
    if path.ends_with("/echo") {
        conn.reply_http(request, request.body, 200, "OK", &plain)?;
    } else {
        let body = describe(request);
        conn.reply_http(request, body.as_bytes(), 200, "OK", &plain)?;
        if let Some(ids) = query_param(request, "ids") {
            let ids: Vec<u64> = ids.split(',').filter_map(|s| s.parse().ok()).collect();
            let response = handler::http_response(body.as_bytes(), 200, "OK", &plain);
            conn.deliver(request.sender, &ids, &response)?;
        }
    }
    if path.ends_with("/close") || handler::should_close(request) {
        conn.close(request)?;
    }
    Ok(())
}

/// The page: method, path, conn id, and every header key the server sent.
pub fn describe(request: &Request<'_>) -> String {
    let key = |k: &[u8]| {
        request
            .headers
            .get(k)
            .map(|v| String::from_utf8_lossy(v.first()).into_owned())
            .unwrap_or_default()
    };
    let mut page = format!(
        "Hello from Scale0's example handler.\n\n{} {} (conn {})\n\n",
        key(b"METHOD"),
        String::from_utf8_lossy(request.path),
        request.conn_id
    );
    for (name, value) in request.headers.iter() {
        let values: Vec<String> = value
            .values()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        page.push_str(&format!(
            "{}: {}\n",
            String::from_utf8_lossy(name),
            values.join(", ")
        ));
    }
    page.push_str(&format!("\nbody: {} bytes\n", request.body.len()));
    page
}

fn query_param(request: &Request<'_>, name: &str) -> Option<String> {
    let query = request.headers.get(b"QUERY")?;
    let query = String::from_utf8_lossy(query.first()).into_owned();
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}
