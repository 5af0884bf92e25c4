//! Content-Type of a served file, from its name: the config's `[mimetypes]`
//! first, then the [`builtin`] table, then the target's `default_ctype`.
//!
//! Extensions match case-insensitively and the longest one wins, so a
//! `[mimetypes]` entry `".tar.gz"` beats `gz` for `x.tar.gz` (Mongrel2 also
//! matches the longest suffix, but case-sensitively).

pub mod builtin;

use std::collections::{BTreeMap, HashMap};

use http::HeaderValue;

/// Types by extension for one dir target.
#[derive(Debug, Clone)]
pub struct Table {
    overrides: HashMap<String, HeaderValue>,
    default: HeaderValue,
}

impl Table {
    /// Builds the table from the validated `[mimetypes]` (lower-case
    /// extensions without the leading dot) and the target's `default_ctype`.
    /// Values that are not header values are skipped (validation refuses them).
    pub fn new(overrides: &BTreeMap<String, String>, default: &str) -> Table {
        Table {
            overrides: overrides
                .iter()
                .filter_map(|(ext, ctype)| {
                    HeaderValue::from_str(ctype)
                        .ok()
                        .map(|v| (ext.to_ascii_lowercase(), v))
                })
                .collect(),
            default: HeaderValue::from_str(default)
                .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
        }
    }

    /// The Content-Type for a file named `name` (its last path segment).
    pub fn content_type(&self, name: &[u8]) -> HeaderValue {
        let Ok(name) = std::str::from_utf8(name) else {
            return self.default.clone();
        };
        let lower = name.to_ascii_lowercase();
        for (dot, _) in lower.match_indices('.') {
            let ext = &lower[dot + 1..];
            if ext.is_empty() {
                continue;
            }
            if let Some(v) = self.overrides.get(ext) {
                return v.clone();
            }
            if let Some(t) = builtin::lookup(ext) {
                return HeaderValue::from_static(t);
            }
        }
        self.default.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(pairs: &[(&str, &str)]) -> Table {
        let map = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Table::new(&map, "text/plain")
    }

    #[test]
    fn builtin_types_match_case_insensitively() {
        let t = table(&[]);
        assert_eq!(t.content_type(b"index.html"), "text/html");
        assert_eq!(t.content_type(b"LOGO.PNG"), "image/png");
        assert_eq!(t.content_type(b"app.min.js"), "text/javascript");
    }

    #[test]
    fn unknown_or_missing_extensions_get_the_default() {
        let t = table(&[]);
        assert_eq!(t.content_type(b"README"), "text/plain");
        assert_eq!(t.content_type(b"x.unknownext"), "text/plain");
        assert_eq!(t.content_type(b"trailing."), "text/plain");
        assert_eq!(t.content_type(b"\xff.html"), "text/plain", "not UTF-8");
    }

    #[test]
    fn config_entries_override_and_extend_the_builtin_table() {
        let t = table(&[
            ("js", "application/x-javascript"),
            ("tar.gz", "application/x-gtar"),
            ("foo", "application/x-foo"),
        ]);
        assert_eq!(t.content_type(b"a.js"), "application/x-javascript");
        assert_eq!(t.content_type(b"a.foo"), "application/x-foo");
        assert_eq!(
            t.content_type(b"a.tar.gz"),
            "application/x-gtar",
            "longest suffix wins"
        );
        assert_eq!(t.content_type(b"a.gz"), "application/gzip");
    }
}
