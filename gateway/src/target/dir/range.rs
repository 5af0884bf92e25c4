//! `Range` and `If-Range` for GET (RFC 9110 §14), as a pure function of the
//! request headers, the file length and its validators.
//!
//! One range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) answers 206 with
//! `Content-Range`; a range starting past the end answers 416 with
//! `Content-Range: bytes */LEN`. Several ranges answer 200 with the whole
//! file (allowed by RFC 9110: a server may ignore `Range`), as does a
//! malformed header, another unit, or an `If-Range` that no longer matches.
//! Mongrel2 ignores `Range` altogether.

use http::{header, HeaderMap};

use super::conditional::{self, Validators};

/// What part of the file to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The whole file, 200.
    Full,
    /// Bytes `start..=end`, 206.
    Partial {
        /// First byte.
        start: u64,
        /// Last byte (inclusive, < length).
        end: u64,
    },
    /// 416 Range Not Satisfiable.
    Unsatisfiable,
}

impl Plan {
    /// The `Content-Range` header value for a 206 or 416 on a file of `len` bytes.
    pub fn content_range(self, len: u64) -> Option<String> {
        match self {
            Plan::Full => None,
            Plan::Partial { start, end } => Some(format!("bytes {start}-{end}/{len}")),
            Plan::Unsatisfiable => Some(format!("bytes */{len}")),
        }
    }
}

/// Decides what a GET with these headers gets of a file of `len` bytes.
pub fn plan(headers: &HeaderMap, len: u64, file: &Validators) -> Plan {
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Plan::Full;
    };
    if headers.contains_key(header::IF_RANGE) && !if_range_holds(headers, file) {
        return Plan::Full;
    }
    parse(range, len)
}

/// `If-Range` holds when its tag matches strongly, or its date is exactly
/// the file's Last-Modified.
fn if_range_holds(headers: &HeaderMap, file: &Validators) -> bool {
    let Some(value) = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        return file.strong_match(value);
    }
    match conditional::date(headers, &header::IF_RANGE) {
        Some(date) => date == file.modified,
        None => file.strong_match(value),
    }
}

/// Parses one `Range` value against `len`.
fn parse(value: &str, len: u64) -> Plan {
    let Some((unit, specs)) = value.split_once('=') else {
        return Plan::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || specs.contains(',') {
        return Plan::Full;
    }
    let Some((first, last)) = specs.trim().split_once('-') else {
        return Plan::Full;
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first, last) {
        ("", suffix) => match number(suffix) {
            Some(0) => Plan::Unsatisfiable,
            Some(_) if len == 0 => Plan::Unsatisfiable,
            Some(n) => Plan::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            },
            None => Plan::Full,
        },
        (start, "") => match number(start) {
            Some(start) if start >= len => Plan::Unsatisfiable,
            Some(start) => Plan::Partial {
                start,
                end: len - 1,
            },
            None => Plan::Full,
        },
        (start, end) => match (number(start), number(end)) {
            (Some(start), Some(end)) if end < start => Plan::Full,
            (Some(start), Some(_)) if start >= len => Plan::Unsatisfiable,
            (Some(start), Some(end)) => Plan::Partial {
                start,
                end: end.min(len - 1),
            },
            _ => Plan::Full,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use std::time::{Duration, UNIX_EPOCH};

    fn file() -> Validators {
        Validators::new(100, UNIX_EPOCH + Duration::from_secs(1_000_000))
    }

    fn plan_of(range: &str, if_range: Option<&str>) -> Plan {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
        if let Some(v) = if_range {
            h.insert(header::IF_RANGE, HeaderValue::from_str(v).unwrap());
        }
        plan(&h, 100, &file())
    }

    fn part(start: u64, end: u64) -> Plan {
        Plan::Partial { start, end }
    }

    #[test]
    fn single_ranges_of_all_three_forms() {
        assert_eq!(plan_of("bytes=0-9", None), part(0, 9));
        assert_eq!(plan_of("bytes=90-", None), part(90, 99));
        assert_eq!(plan_of("bytes=-10", None), part(90, 99));
        assert_eq!(
            plan_of("bytes=-1000", None),
            part(0, 99),
            "suffix longer than the file"
        );
        assert_eq!(plan_of("bytes=50-1000", None), part(50, 99), "end clamped");
        assert_eq!(plan_of("Bytes = 0-0", None), part(0, 0));
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(plan_of("bytes=100-", None), Plan::Unsatisfiable);
        assert_eq!(plan_of("bytes=100-200", None), Plan::Unsatisfiable);
        assert_eq!(plan_of("bytes=-0", None), Plan::Unsatisfiable);
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_static("bytes=-5"));
        assert_eq!(plan(&h, 0, &file()), Plan::Unsatisfiable, "empty file");
        assert_eq!(
            Plan::Unsatisfiable.content_range(100).unwrap(),
            "bytes */100"
        );
        assert_eq!(part(0, 9).content_range(100).unwrap(), "bytes 0-9/100");
    }

    #[test]
    fn malformed_multiple_or_foreign_ranges_give_the_whole_file() {
        for r in [
            "bytes=0-1,5-6",
            "bytes=9-3",
            "bytes=a-b",
            "bytes=-",
            "bytes=+1-2",
            "items=0-1",
            "bytes 0-1",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(plan_of(r, None), Plan::Full, "{r}");
        }
        assert_eq!(plan(&HeaderMap::new(), 100, &file()), Plan::Full);
    }

    #[test]
    fn if_range_with_the_current_tag_or_date_keeps_the_range() {
        let f = file();
        assert_eq!(plan_of("bytes=0-9", Some(&f.etag_header())), part(0, 9));
        assert_eq!(
            plan_of("bytes=0-9", Some(&f.last_modified_header())),
            part(0, 9)
        );
        assert_eq!(plan_of("bytes=0-9", Some("\"old\"")), Plan::Full);
        assert_eq!(
            plan_of("bytes=0-9", Some(&format!("W/{}", f.etag_header()))),
            Plan::Full
        );
        let earlier = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(999_999));
        assert_eq!(plan_of("bytes=0-9", Some(&earlier)), Plan::Full);
    }
}
