//! The responses of a dir target. Error bodies are Mongrel2's texts (`Not
//! Found`, `Method Not Allowed`, ...), so a client sees the same bytes from
//! both servers; unlike Mongrel2, these answers keep the connection open.

use std::time::{SystemTime, UNIX_EPOCH};

use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use tokio_util::task::TaskTracker;

use super::conditional::{self, Decision, Validators};
use super::open::{Content, Opened};
use super::range::{self, Plan};
use super::stream;
use crate::body::Body;

/// Methods a dir target answers (the `Allow` header of its 405).
pub const ALLOW: &str = "GET, HEAD";

/// A short plain-text answer.
pub fn status(code: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::full(text));
    *r.status_mut() = code;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
    r
}

/// 404, for every path that names nothing we serve.
pub fn not_found() -> Response<Body> {
    status(StatusCode::NOT_FOUND, "Not Found")
}

/// 403, for files the gateway may not read.
pub fn forbidden() -> Response<Body> {
    status(StatusCode::FORBIDDEN, "Forbidden")
}

/// 405 with `Allow`.
pub fn method_not_allowed() -> Response<Body> {
    let mut r = status(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(ALLOW));
    r
}

/// 500, when the bytes read do not cover the range planned (a bug, never a client fault).
pub fn internal() -> Response<Body> {
    status(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// 301 to the directory's URI with `/` appended to the path (query kept).
/// The Location is a path, not `//host/...` as Mongrel2 writes it, so a
/// forged Host header cannot send the client elsewhere.
pub fn redirect(uri: &http::Uri) -> Response<Body> {
    let location = match uri.query() {
        Some(q) => format!("{}/?{q}", uri.path()),
        None => format!("{}/", uri.path()),
    };
    match HeaderValue::from_str(&location) {
        Ok(location) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
            r.headers_mut().insert(header::LOCATION, location);
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
            r
        }
        Err(_) => not_found(),
    }
}

/// What the file answer needs besides the file.
pub struct Ask<'a> {
    /// The request headers (preconditions, Range).
    pub headers: &'a HeaderMap,
    /// HEAD: headers only.
    pub head: bool,
    /// The Content-Type.
    pub content_type: HeaderValue,
    /// The current time (If-Modified-Since in the future is ignored).
    pub now: SystemTime,
}

/// 200, 206, 304, 412 or 416 for an open file.
pub fn file(ask: Ask<'_>, opened: Opened, tracker: &TaskTracker) -> Response<Body> {
    let len = opened.meta.len();
    let mtime = opened.meta.modified().unwrap_or(UNIX_EPOCH);
    let validators = Validators::new(len, mtime);
    match conditional::evaluate(ask.headers, &validators, ask.now) {
        Decision::Proceed => {}
        Decision::PreconditionFailed => {
            return status(StatusCode::PRECONDITION_FAILED, "Precondition Failed")
        }
        Decision::NotModified => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            add_validators(r.headers_mut(), &validators);
            return r;
        }
    }
    let plan = if ask.head {
        Plan::Full
    } else {
        range::plan(ask.headers, len, &validators)
    };
    let (code, start, count) = match plan {
        Plan::Full => (StatusCode::OK, 0, len),
        Plan::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Plan::Unsatisfiable => {
            let mut r = status(StatusCode::RANGE_NOT_SATISFIABLE, "Range Not Satisfiable");
            insert_text(
                r.headers_mut(),
                header::CONTENT_RANGE,
                plan.content_range(len),
            );
            return r;
        }
    };
    let body = if ask.head {
        Body::empty()
    } else {
        match opened.content {
            Content::Inline(bytes) => {
                let from = usize::try_from(start).unwrap_or(usize::MAX);
                let to = usize::try_from(start + count).unwrap_or(usize::MAX);
                match bytes.get(from..to) {
                    Some(_) => Body::full(bytes.slice(from..to)),
                    None => return internal(),
                }
            }
            Content::Stream(f) => stream::body(f, start, count, tracker),
        }
    };
    let mut r = Response::new(body);
    *r.status_mut() = code;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, ask.content_type);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    add_validators(h, &validators);
    insert_text(h, header::CONTENT_RANGE, plan.content_range(len));
    r
}

fn add_validators(h: &mut HeaderMap, v: &Validators) {
    insert_text(h, header::ETAG, Some(v.etag_header()));
    insert_text(h, header::LAST_MODIFIED, Some(v.last_modified_header()));
}

fn insert_text(h: &mut HeaderMap, name: header::HeaderName, value: Option<String>) {
    if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.insert(name, v);
    }
}
