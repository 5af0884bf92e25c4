//! `[mimetypes]`: extension → Content-Type entries for `dir` targets, over the
//! built-in table (Mongrel2's `mimetypes = {...}`; `scale0 import-mongrel2`
//! writes them here). Keys are written with or without the leading dot
//! (`".tar.gz"` or `"json"`) and are stored lower case without it.

use std::collections::BTreeMap;

use super::check;
use super::limits::{MAX_MIMETYPES, MAX_MIME_EXT_BYTES, MAX_TEXT_BYTES};
use super::Error;

/// Validates the `[mimetypes]` table into lower-case extensions (no leading
/// dot) and Content-Type values.
pub(crate) fn mimetypes(raw: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Error> {
    check::at_most("mimetypes", raw.len(), MAX_MIMETYPES)?;
    let mut out = BTreeMap::new();
    for (key, ctype) in raw {
        let field = format!("mimetypes.{key:?}");
        let ext = key.strip_prefix('.').unwrap_or(key).to_ascii_lowercase();
        let ext_ok = !ext.is_empty()
            && ext.len() <= MAX_MIME_EXT_BYTES
            && !ext.starts_with('.')
            && !ext.ends_with('.')
            && ext
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'/' && b != b'\\');
        if !ext_ok {
            return Err(check::invalid(
                field,
                key,
                "an extension is 1-128 printable characters without '/', like \".html\" or \"tar.gz\"",
            ));
        }
        let ctype = check::text(field.clone(), ctype, MAX_TEXT_BYTES)?;
        if http::HeaderValue::from_str(&ctype).is_err() || !ctype.contains('/') {
            return Err(check::invalid(
                field,
                &ctype,
                "must be a MIME type such as text/plain",
            ));
        }
        if out.insert(ext, ctype).is_some() {
            return Err(Error::Duplicate {
                field: "mimetypes".into(),
                what: "extension (keys differ only in case or leading dot)",
                value: key.clone(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(pairs: &[(&str, &str)]) -> Result<BTreeMap<String, String>, Error> {
        mimetypes(
            &pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn keys_are_lower_case_without_the_dot() {
        let t = table(&[(".HTML", "text/html"), ("tar.gz", "application/x-gtar")]).unwrap();
        assert_eq!(t.get("html").map(String::as_str), Some("text/html"));
        assert_eq!(
            t.get("tar.gz").map(String::as_str),
            Some("application/x-gtar")
        );
    }

    #[test]
    fn bad_keys_and_values_name_the_field() {
        for (k, v) in [
            (".", "text/plain"),
            ("a/b", "text/plain"),
            ("x", "plain"),
            ("x", "text/\nplain"),
        ] {
            let e = table(&[(k, v)]).unwrap_err();
            assert!(matches!(e, Error::Invalid { .. }), "{k:?} {v:?}: {e}");
        }
        let e = table(&[(".js", "a/b"), ("JS", "c/d")]).unwrap_err();
        assert!(matches!(e, Error::Duplicate { .. }));
    }
}
