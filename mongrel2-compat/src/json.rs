//! Mongrel2-flavoured JSON: the header object of `protocol='json'` request messages.
//!
//! Mongrel2 writes header objects by hand (`Request_to_payload`): no whitespace, and inside
//! strings only `"` and `\` are escaped (as `\"` and `\\`). Every other byte, control bytes and
//! non-UTF-8 bytes included, goes into the JSON text raw, so what a handler receives is often not
//! strict JSON. [`ObjectWriter`] and [`write_str`] produce exactly that form.
//!
//! [`parse_object`] reads one JSON object tolerantly: it accepts Mongrel2's raw bytes *and* the
//! standard escapes (`\n`, `\t`, `\/`, `\uXXXX` with surrogate pairs, ...) and whitespace that
//! other producers emit. Strings are bytes, not `str`; a string without escapes is borrowed from
//! the input (zero-copy). Values that are strings or arrays of strings (all Mongrel2 ever sends)
//! are decoded; any other value (number, literal, nested object, mixed array) is validated and
//! handed back as its raw text, so a caller can reject it by name or ignore it. The number of
//! keys, array items and the nesting depth are capped by [`MAX_KEYS`], [`MAX_ARRAY_ITEMS`] and
//! [`MAX_DEPTH`] before anything grows.
//!
//! ```
//! use mongrel2_compat::json::{parse_object, JsonValue, ObjectWriter};
//!
//! let object = parse_object(br#"{"x-dup":["one","two"],"x-quote":"say \"hi\""}"#).unwrap();
//! assert_eq!(&*object[0].0, b"x-dup");
//! assert!(matches!(&object[1].1, JsonValue::Str(s) if &s[..] == br#"say "hi""#));
//!
//! let mut out = Vec::new();
//! let mut writer = ObjectWriter::new(&mut out);
//! writer.str(b"METHOD", b"JSON");
//! writer.list(b"cookie", [&b"a=1"[..], b"b\tc"]);
//! writer.finish();
//! assert_eq!(out, b"{\"METHOD\":\"JSON\",\"cookie\":[\"a=1\",\"b\tc\"]}");
//! ```

mod encode;
mod error;
mod lex;
mod parse;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

pub use encode::{str_len, write_str, ObjectWriter};
pub use error::Error;
pub use parse::parse_object;

/// Most keys one object may have. Mongrel2's header table holds at most `limits.header_count`
/// (1280) client headers plus about ten keys of its own; this leaves room for that and stops a
/// peer from making us build a huge key list.
pub const MAX_KEYS: usize = 2048;

/// Most items one array may have. Mongrel2 merges at most 5 values per header name; other
/// producers get generous room, but each item costs a vector slot, so it is capped.
pub const MAX_ARRAY_ITEMS: usize = 1024;

/// Deepest nesting of arrays/objects accepted (the top-level object is depth 1). Mongrel2 nests 2
/// deep (an object of arrays); deeper values are only skipped, but skipping recurses, so the
/// depth is bounded.
pub const MAX_DEPTH: usize = 32;

/// One value of a parsed object, as Mongrel2 header objects use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonValue<'a> {
    /// A string, unescaped; borrowed from the input when it had no escapes.
    Str(Cow<'a, [u8]>),
    /// An array whose items are all strings (a repeated header).
    List(Vec<Cow<'a, [u8]>>),
    /// Any other value (number, `true`/`false`/`null`, object, array with a non-string item),
    /// validated and given as its raw JSON text, so the caller can reject it by key or skip it.
    Other(&'a [u8]),
}

impl<'a> JsonValue<'a> {
    /// The string's bytes, `None` unless this is [`JsonValue::Str`].
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            JsonValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The pairs of a parsed object in input order (duplicate keys kept: Mongrel2's byte order
/// matters, and [`find`] returns the first match).
pub type Object<'a> = Vec<(Cow<'a, [u8]>, JsonValue<'a>)>;

/// The value of the first pair whose key is exactly `key`, e.g. `"type"` in the
/// `{"type":"disconnect"}` body of a notice.
pub fn find<'o, 'a>(
    object: &'o [(Cow<'a, [u8]>, JsonValue<'a>)],
    key: &[u8],
) -> Option<&'o JsonValue<'a>> {
    object.iter().find(|(k, _)| &k[..] == key).map(|(_, v)| v)
}
