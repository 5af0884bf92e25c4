//! Validators of a file (ETag, Last-Modified) and conditional requests
//! (RFC 9110 §13.2.2), as pure functions of the request headers, the file's
//! validators and the current time.
//!
//! The ETag is Mongrel2's, `<mtime seconds in hex>-<size in hex>`, but quoted
//! as RFC 9110 requires (`"6b054ad3-6"`; Mongrel2 sends it bare). Both forms
//! are accepted in `If-None-Match`, `If-Match` and `If-Range`, so clients that
//! learned the bare tag from Mongrel2 still get their 304.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{header, HeaderMap};

/// Most entity tags read from one `If-Match`/`If-None-Match`; the rest are
/// ignored, which bounds the work per request.
pub const MAX_TAGS: usize = 64;

/// What identifies one version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The opaque part of the ETag (without quotes).
    pub etag: String,
    /// Modification time, truncated to whole seconds (HTTP dates have no more).
    pub modified: SystemTime,
}

impl Validators {
    /// The validators of a file of `len` bytes modified at `mtime`.
    pub fn new(len: u64, mtime: SystemTime) -> Validators {
        let secs = mtime.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Validators {
            etag: format!("{secs:x}-{len:x}"),
            modified: UNIX_EPOCH + Duration::from_secs(secs),
        }
    }

    /// The `ETag` header value.
    pub fn etag_header(&self) -> String {
        format!("\"{}\"", self.etag)
    }

    /// The `Last-Modified` header value.
    pub fn last_modified_header(&self) -> String {
        httpdate::fmt_http_date(self.modified)
    }

    /// Strong comparison of this file's tag with one from a request (`If-Match`, `If-Range`).
    pub fn strong_match(&self, tag: &str) -> bool {
        !tag.starts_with("W/") && opaque(tag) == self.etag
    }

    /// Weak comparison (`If-None-Match`): a `W/` prefix is ignored.
    fn weak_match(&self, tag: &str) -> bool {
        opaque(tag.strip_prefix("W/").unwrap_or(tag)) == self.etag
    }
}

/// What the preconditions of a GET or HEAD decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Serve the file (maybe a range of it).
    Proceed,
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed.
    PreconditionFailed,
}

/// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and
/// `If-Modified-Since` in RFC 9110's order. Unparsable dates are ignored, as
/// are `If-Modified-Since` dates later than `now`.
pub fn evaluate(headers: &HeaderMap, file: &Validators, now: SystemTime) -> Decision {
    if let Some(tags) = tag_list(headers, &header::IF_MATCH) {
        if !tags.iter().any(|t| *t == "*" || file.strong_match(t)) {
            return Decision::PreconditionFailed;
        }
    } else if let Some(since) = date(headers, &header::IF_UNMODIFIED_SINCE) {
        if file.modified > since {
            return Decision::PreconditionFailed;
        }
    }
    if let Some(tags) = tag_list(headers, &header::IF_NONE_MATCH) {
        if tags.iter().any(|t| *t == "*" || file.weak_match(t)) {
            return Decision::NotModified;
        }
    } else if let Some(since) = date(headers, &header::IF_MODIFIED_SINCE) {
        if since <= now && file.modified <= since {
            return Decision::NotModified;
        }
    }
    Decision::Proceed
}

/// The tags of every `name` header, comma-separated, trimmed; `None` when
/// the header is absent or unreadable.
fn tag_list<'a>(headers: &'a HeaderMap, name: &header::HeaderName) -> Option<Vec<&'a str>> {
    let mut tags = Vec::new();
    let mut present = false;
    for value in headers.get_all(name) {
        present = true;
        let Ok(text) = value.to_str() else { continue };
        for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if tags.len() < MAX_TAGS {
                tags.push(tag);
            }
        }
    }
    present.then_some(tags)
}

/// A tag's opaque part: quotes removed when present (bare tags are Mongrel2's form).
fn opaque(tag: &str) -> &str {
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag)
}

/// A header parsed as an HTTP date.
pub fn date(headers: &HeaderMap, name: &header::HeaderName) -> Option<SystemTime> {
    let text = headers.get(name)?.to_str().ok()?;
    httpdate::parse_http_date(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const MTIME: u64 = 0x6b05_4ad3;

    fn file() -> Validators {
        Validators::new(6, UNIX_EPOCH + Duration::from_millis(MTIME * 1000 + 700))
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(MTIME + 3600)
    }

    fn eval(pairs: &[(header::HeaderName, &str)]) -> Decision {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        evaluate(&headers, &file(), now())
    }

    fn at(offset: i64) -> String {
        let t = UNIX_EPOCH + Duration::from_secs(MTIME.checked_add_signed(offset).unwrap());
        httpdate::fmt_http_date(t)
    }

    #[test]
    fn etag_is_mongrel2s_mtime_and_size_in_hex_quoted() {
        let f = file();
        assert_eq!(f.etag_header(), "\"6b054ad3-6\"");
        assert_eq!(f.modified, UNIX_EPOCH + Duration::from_secs(MTIME));
        assert_eq!(f.last_modified_header(), at(0));
    }

    #[test]
    fn if_none_match_gives_304_for_quoted_bare_weak_star_and_lists() {
        use header::IF_NONE_MATCH as INM;
        for v in [
            "\"6b054ad3-6\"",
            "6b054ad3-6",
            "W/\"6b054ad3-6\"",
            "*",
            "\"x\", \"6b054ad3-6\"",
        ] {
            assert_eq!(eval(&[(INM, v)]), Decision::NotModified, "{v}");
        }
        assert_eq!(eval(&[(INM, "\"6b054ad3-7\"")]), Decision::Proceed);
    }

    #[test]
    fn if_match_fails_with_412_unless_a_strong_match_or_star() {
        use header::IF_MATCH as IM;
        assert_eq!(eval(&[(IM, "\"zzz\"")]), Decision::PreconditionFailed);
        assert_eq!(
            eval(&[(IM, "W/\"6b054ad3-6\"")]),
            Decision::PreconditionFailed
        );
        assert_eq!(eval(&[(IM, "\"6b054ad3-6\"")]), Decision::Proceed);
        assert_eq!(eval(&[(IM, "6b054ad3-6")]), Decision::Proceed);
        assert_eq!(eval(&[(IM, "*")]), Decision::Proceed);
    }

    #[test]
    fn if_modified_since_gives_304_at_or_after_the_mtime_but_not_from_the_future() {
        use header::IF_MODIFIED_SINCE as IMS;
        assert_eq!(eval(&[(IMS, &at(0))]), Decision::NotModified);
        assert_eq!(eval(&[(IMS, &at(10))]), Decision::NotModified);
        assert_eq!(eval(&[(IMS, &at(-1))]), Decision::Proceed);
        assert_eq!(
            eval(&[(IMS, &at(7200))]),
            Decision::Proceed,
            "later than now"
        );
        assert_eq!(eval(&[(IMS, "yesterday")]), Decision::Proceed, "ignored");
    }

    #[test]
    fn if_unmodified_since_fails_when_the_file_is_newer() {
        use header::IF_UNMODIFIED_SINCE as IUS;
        assert_eq!(eval(&[(IUS, &at(-1))]), Decision::PreconditionFailed);
        assert_eq!(eval(&[(IUS, &at(0))]), Decision::Proceed);
        assert_eq!(eval(&[(IUS, "garbage")]), Decision::Proceed);
    }

    #[test]
    fn tags_take_precedence_over_dates() {
        let matching = "\"6b054ad3-6\"";
        assert_eq!(
            eval(&[
                (header::IF_NONE_MATCH, "\"other\""),
                (header::IF_MODIFIED_SINCE, &at(0))
            ]),
            Decision::Proceed,
            "If-None-Match present: If-Modified-Since ignored"
        );
        assert_eq!(
            eval(&[
                (header::IF_MATCH, matching),
                (header::IF_UNMODIFIED_SINCE, &at(-100))
            ]),
            Decision::Proceed,
            "If-Match present: If-Unmodified-Since ignored"
        );
        assert_eq!(
            eval(&[
                (header::IF_MATCH, "\"x\""),
                (header::IF_NONE_MATCH, matching)
            ]),
            Decision::PreconditionFailed,
            "412 before 304"
        );
    }

    #[test]
    fn tag_lists_are_capped() {
        let many = vec!["\"x\""; MAX_TAGS].join(", ") + ", \"6b054ad3-6\"";
        assert_eq!(eval(&[(header::IF_NONE_MATCH, &many)]), Decision::Proceed);
    }
}
