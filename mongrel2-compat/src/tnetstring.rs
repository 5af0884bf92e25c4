//! tnetstring codec: our own, sans-IO and zero-copy (the crates.io crate is AGPL and broken).
//!
//! Mongrel2 uses tnetstrings for request headers in `protocol='tnetstring'` mode, for every body
//! (a plain netstring is a tnetstring string) and for handler control messages such as
//! `["ctl",{"credits":N}]`. A value is `LEN ':' DATA TAG`, where `LEN` is the decimal byte length of
//! `DATA` and `TAG` names the type: `,` string, `#` integer, `^` float, `!` boolean, `~` null,
//! `]` list, `}` dict (alternating keys and values; keys are strings).
//!
//! [`parse`] reads one value from the front of a buffer and returns the rest; strings and dict keys
//! borrow from the input, nothing is copied. A buffer that ends too early gives
//! [`Error::Incomplete`], so a caller can wait for more bytes; every other error is final. Every
//! length the peer declares is checked against [`Limits`] before anything is allocated.
//! [`Value::encode`] writes the canonical form back, byte for byte what Mongrel2 sends for the
//! same value (dict order is kept as parsed).
//!
//! ```
//! use mongrel2_compat::tnetstring::{parse, Value};
//!
//! let (value, rest) = parse(b"27:3:ctl,17:7:credits,4:1500#}]rest").unwrap();
//! assert_eq!(rest, b"rest");
//! let items = value.as_list().unwrap();
//! assert_eq!(items[0].as_bytes(), Some(&b"ctl"[..]));
//! assert_eq!(items[1].get(b"credits").and_then(Value::as_int), Some(1500));
//! assert_eq!(value.to_vec(), b"27:3:ctl,17:7:credits,4:1500#}]");
//! ```

mod encode;
mod error;
#[cfg(test)]
mod golden_tests;
mod parse;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod tests;

pub use encode::{write_bool, write_float, write_int, write_null, write_str};
pub use error::Error;
pub use parse::{parse, parse_complete, parse_complete_with, parse_with};

/// Default cap on the number of digits in a `LEN` prefix: 9, as in Python's `tnetstring` and the C
/// parser Mongrel2 ships, so a length of at most 999 999 999 can be declared.
pub const MAX_LEN_DIGITS: usize = 9;

/// Default cap on any single declared `LEN`: 64 MiB. Mongrel2 hands bodies above
/// `limits.content_length` (20 KiB by default) to a temp file, so real messages are far smaller;
/// the cap only has to stop a hostile peer from making us hold or wait for a gigabyte.
pub const MAX_SIZE: usize = 64 * 1024 * 1024;

/// Default cap on list/dict nesting: 64. Mongrel2 itself nests at most 2 deep (a dict of lists of
/// strings); the cap bounds the parser's recursion.
pub const MAX_DEPTH: usize = 64;

/// Caps applied while parsing, so a peer cannot make the parser allocate, wait or recurse without
/// bound. All three are checked before anything is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most ASCII digits a `LEN` prefix may have; more is [`Error::LengthDigits`] even before the
    /// `:` arrives.
    pub max_len_digits: usize,
    /// Largest `LEN` any value may declare, nested or not; larger is [`Error::TooLarge`] even when
    /// the data has not arrived yet. The top-level value's `LEN` bounds the whole message.
    pub max_size: usize,
    /// Deepest list/dict nesting accepted: a top-level list is depth 1, scalars do not count.
    /// The parser recurses once per level, so keep this small.
    pub max_depth: usize,
}

impl Default for Limits {
    /// [`MAX_LEN_DIGITS`], [`MAX_SIZE`] and [`MAX_DEPTH`].
    fn default() -> Self {
        Limits {
            max_len_digits: MAX_LEN_DIGITS,
            max_size: MAX_SIZE,
            max_depth: MAX_DEPTH,
        }
    }
}

/// One tnetstring value. Strings and dict keys borrow from the parsed input (zero-copy).
///
/// Equality compares floats by their bits ([`f64::to_bits`]), so `NaN == NaN` and
/// `0.0 != -0.0`: two values are equal exactly when they encode to the same bytes.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    /// `,`: raw bytes, not necessarily UTF-8 (Mongrel2 copies header bytes as they came).
    Str(&'a [u8]),
    /// `#`: a signed 64-bit integer; out-of-range text is an error, never wrapped.
    Int(i64),
    /// `^`: a float, written in Rust's shortest round-trip form (`1.5`, `1e300`, `NaN`, `inf`).
    Float(f64),
    /// `!`: `true` or `false`.
    Bool(bool),
    /// `~`: null, always `0:~`.
    Null,
    /// `]`: values in order.
    List(Vec<Value<'a>>),
    /// `}`: key/value pairs in input order. Order is kept (and duplicate keys too) because
    /// Mongrel2's byte-exact output depends on it; [`Value::get`] returns the first match.
    Dict(Vec<(&'a [u8], Value<'a>)>),
}

impl PartialEq for Value<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Null, Value::Null) => true,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Dict(a), Value::Dict(b)) => a == b,
            _ => false,
        }
    }
}

impl<'a> Value<'a> {
    /// Appends the canonical encoding of this value to `out` (no leading zeros, floats in
    /// shortest round-trip form, dict order as stored).
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode::value(self, out);
    }

    /// The canonical encoding in a new buffer sized exactly by [`Value::encoded_len`].
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }

    /// Number of bytes [`Value::encode`] appends, computed without allocating (except to format
    /// a float), so callers can size a buffer or check a cap before encoding.
    pub fn encoded_len(&self) -> usize {
        encode::encoded_len(self)
    }

    /// Looks `key` up in a dict and returns the value of the first matching pair; `None` if
    /// absent or if this is not a dict.
    pub fn get(&self, key: &[u8]) -> Option<&Value<'a>> {
        self.as_dict()?
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// The bytes of a string (borrowed from the input), `None` for other types.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, `None` for other types (strings holding digits are not converted).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The float, `None` for other types.
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The boolean, `None` for other types.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The items of a list, `None` for other types.
    pub fn as_list(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The pairs of a dict in input order, `None` for other types.
    pub fn as_dict(&self) -> Option<&[(&'a [u8], Value<'a>)]> {
        match self {
            Value::Dict(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// The type's name for error messages ("string", "integer", "float", "boolean", "null",
    /// "list", "dict").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Bool(_) => "boolean",
            Value::Null => "null",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
        }
    }
}
