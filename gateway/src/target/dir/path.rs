//! Request path → file path under the base, without touching the disk.
//!
//! The route prefix is stripped (Mongrel2 does the same: route `/static/`
//! and request `/static/css/a.css` serve `BASE/css/a.css`), then the rest is
//! split at raw `/`, and each segment is percent-decoded on its own, so an
//! encoded slash (`%2F`) stays inside its segment and is refused rather than
//! becoming a separator. Refused outright, before any file system call:
//! `..` segments (also `%2e%2e`), NUL bytes, backslashes, bad escapes, and
//! hidden names (segments starting with `.`, except `.well-known`). Empty and
//! `.` segments are skipped, as `realpath` would. The disk side
//! ([`super::open`]) still canonicalizes and checks the result stays inside the
//! base, because symlinks can point anywhere.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Most segments a request path may have; deeper paths are refused (404),
/// which bounds the work per request.
pub const MAX_SEGMENTS: usize = 64;

/// The one hidden directory served: RFC 8615 well-known URIs (ACME, etc.).
const WELL_KNOWN: &[u8] = b".well-known";

/// A request path reduced to a relative file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relative {
    /// Decoded segments, none empty, `.`, `..`, hidden, or holding `/`, `\` or NUL.
    pub segments: Vec<Vec<u8>>,
    /// The path ended in `/`: the index file is wanted.
    pub directory: bool,
}

impl Relative {
    /// The relative path to join under the base (empty for the base itself).
    pub fn to_path(&self) -> PathBuf {
        self.segments.iter().map(|s| OsStr::from_bytes(s)).collect()
    }
}

/// Why a request path names no file we may serve; every case answers 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path does not start with the route's literal prefix.
    #[error("the path does not start with the route prefix")]
    OutsideRoute,
    /// A `%` not followed by two hex digits.
    #[error("bad percent escape in the path")]
    BadEscape,
    /// A `..` segment, which could climb out of the base.
    #[error("'..' segment in the path")]
    DotDot,
    /// A NUL, a backslash, or an encoded `/` inside a segment.
    #[error("forbidden byte in a path segment")]
    ForbiddenByte,
    /// A segment starting with `.` (other than `.well-known`).
    #[error("hidden file or directory")]
    Hidden,
    /// More than [`MAX_SEGMENTS`] segments.
    #[error("too many path segments")]
    TooDeep,
}

/// The literal prefix of a route path: the text before its first `(`
/// (Mongrel2's rule for pattern routes).
pub fn route_prefix(pattern: &str) -> &str {
    pattern.find('(').map_or(pattern, |open| &pattern[..open])
}

/// Maps the raw request path (no query) of a route with key `pattern` to a
/// relative file path.
pub fn resolve(path: &[u8], pattern: &str) -> Result<Relative, PathError> {
    let rest = path
        .strip_prefix(route_prefix(pattern).as_bytes())
        .ok_or(PathError::OutsideRoute)?;
    // `/static` on route `/static` names the base itself without its `/`: a
    // directory asked for without the slash (301), like any other.
    let directory = rest.ends_with(b"/") || (rest.is_empty() && path.ends_with(b"/"));
    let mut segments = Vec::new();
    for raw in rest.split(|&b| b == b'/') {
        let segment = decode(raw)?;
        match segment.as_slice() {
            b"" | b"." => continue,
            b".." => return Err(PathError::DotDot),
            s if s.iter().any(|&b| matches!(b, 0 | b'/' | b'\\')) => {
                return Err(PathError::ForbiddenByte)
            }
            s if s.starts_with(b".") && s != WELL_KNOWN => return Err(PathError::Hidden),
            _ => {}
        }
        if segments.len() == MAX_SEGMENTS {
            return Err(PathError::TooDeep);
        }
        segments.push(segment);
    }
    Ok(Relative {
        segments,
        directory,
    })
}

/// Percent-decodes one segment.
fn decode(raw: &[u8]) -> Result<Vec<u8>, PathError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'%' {
            let hex = |at: usize| raw.get(at).and_then(|&h| (h as char).to_digit(16));
            let (hi, lo) = hex(i + 1).zip(hex(i + 2)).ok_or(PathError::BadEscape)?;
            out.push(u8::try_from(hi * 16 + lo).map_err(|_| PathError::BadEscape)?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(path: &str, pattern: &str) -> (Vec<String>, bool) {
        let r = resolve(path.as_bytes(), pattern).unwrap();
        let segs = r
            .segments
            .iter()
            .map(|s| String::from_utf8(s.clone()).unwrap())
            .collect();
        (segs, r.directory)
    }

    #[test]
    fn strips_the_route_prefix_like_mongrel2() {
        assert_eq!(
            ok("/static/css/a.css", "/static/"),
            (vec!["css".into(), "a.css".into()], false)
        );
        assert_eq!(ok("/a.txt", "/"), (vec!["a.txt".into()], false));
        assert_eq!(ok("/pat/a.txt", "/pat/(.*)"), (vec!["a.txt".into()], false));
        assert_eq!(resolve(b"/other", "/static/"), Err(PathError::OutsideRoute));
    }

    #[test]
    fn trailing_slash_and_the_route_root_ask_for_the_index() {
        assert_eq!(ok("/", "/"), (vec![], true));
        assert_eq!(ok("/static/", "/static/"), (vec![], true));
        assert_eq!(ok("/sub/", "/"), (vec!["sub".into()], true));
        assert_eq!(ok("/sub", "/"), (vec!["sub".into()], false));
        assert_eq!(
            ok("/static", "/static"),
            (vec![], false),
            "the base without its slash"
        );
    }

    #[test]
    fn empty_and_dot_segments_are_skipped() {
        assert_eq!(ok("//a.txt", "/"), (vec!["a.txt".into()], false));
        assert_eq!(
            ok("/./sub/./a", "/"),
            (vec!["sub".into(), "a".into()], false)
        );
    }

    #[test]
    fn percent_escapes_are_decoded_per_segment() {
        assert_eq!(ok("/%61.txt", "/"), (vec!["a.txt".into()], false));
        assert_eq!(ok("/a%20b", "/"), (vec!["a b".into()], false));
        assert_eq!(resolve(b"/a%2", "/"), Err(PathError::BadEscape));
        assert_eq!(resolve(b"/a%zz", "/"), Err(PathError::BadEscape));
    }

    #[test]
    fn dot_dot_is_refused_raw_or_encoded() {
        for p in [
            "/../etc/passwd",
            "/sub/../a.txt",
            "/%2e%2e/x",
            "/%2E%2e/x",
            "/.%2e/x",
            "/sub/..",
        ] {
            assert_eq!(resolve(p.as_bytes(), "/"), Err(PathError::DotDot), "{p}");
        }
    }

    #[test]
    fn encoded_slashes_backslashes_and_nul_are_refused() {
        for p in [
            "/sub%2fa.txt",
            "/sub%2F..%2Fx",
            "/a\\..\\b",
            "/a%5c..",
            "/a.txt%00",
            "/a%00b",
        ] {
            assert_eq!(
                resolve(p.as_bytes(), "/"),
                Err(PathError::ForbiddenByte),
                "{p}"
            );
        }
    }

    #[test]
    fn hidden_names_are_refused_except_well_known() {
        assert_eq!(resolve(b"/.git/config", "/"), Err(PathError::Hidden));
        assert_eq!(resolve(b"/sub/.env", "/"), Err(PathError::Hidden));
        assert_eq!(resolve(b"/%2egit", "/"), Err(PathError::Hidden));
        assert_eq!(
            ok("/.well-known/acme", "/"),
            (vec![".well-known".into(), "acme".into()], false)
        );
    }

    #[test]
    fn depth_is_capped() {
        let deep = "/a".repeat(MAX_SEGMENTS);
        assert!(resolve(deep.as_bytes(), "/").is_ok());
        let deeper = "/a".repeat(MAX_SEGMENTS + 1);
        assert_eq!(resolve(deeper.as_bytes(), "/"), Err(PathError::TooDeep));
    }

    #[test]
    fn to_path_joins_segments() {
        let r = resolve(b"/sub/a.txt", "/").unwrap();
        assert_eq!(r.to_path(), PathBuf::from("sub/a.txt"));
        assert_eq!(resolve(b"/", "/").unwrap().to_path(), PathBuf::new());
    }
}
