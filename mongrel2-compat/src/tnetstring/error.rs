//! Why a tnetstring could not be parsed.

/// Longest excerpt of offending data kept in an error, so a hostile payload cannot make the error
/// (or the log line built from it) large.
const EXCERPT_MAX: usize = 32;

/// A tnetstring parse failure. Only [`Error::Incomplete`] means "wait for more bytes"; every other
/// variant is final for this input. Messages name the part of the value at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The input ends before the value does; at least `needed` more bytes are required (the exact
    /// number once the whole `LEN:` prefix has arrived).
    #[error("tnetstring truncated: at least {needed} more byte(s) needed")]
    Incomplete {
        /// Minimum number of further bytes before parsing can make progress.
        needed: usize,
    },
    /// The `LEN` prefix has more digits than [`super::Limits::max_len_digits`].
    #[error("tnetstring length prefix has more than {max} digits")]
    LengthDigits {
        /// The digit cap that was exceeded.
        max: usize,
    },
    /// The `LEN` prefix does not fit in a `usize` (only possible with a raised digit cap).
    #[error("tnetstring length prefix overflows usize")]
    LengthOverflow,
    /// The declared `LEN` exceeds [`super::Limits::max_size`].
    #[error("tnetstring length {len} exceeds the cap of {max} bytes")]
    TooLarge {
        /// The declared length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Lists/dicts are nested deeper than [`super::Limits::max_depth`].
    #[error("tnetstring nests lists/dicts deeper than {max} levels")]
    TooDeep {
        /// The depth cap.
        max: usize,
    },
    /// The value does not start with an ASCII digit (a sign, space or other byte came first).
    #[error("tnetstring length prefix must start with a digit, found byte {}", show_byte(*.found))]
    BadLength {
        /// The byte found instead of a digit.
        found: u8,
    },
    /// The `LEN` digits are followed by something other than `:`.
    #[error("tnetstring length digits must be followed by ':', found byte {}", show_byte(*.found))]
    MissingColon {
        /// The byte found instead of `:`.
        found: u8,
    },
    /// The byte after the data is not one of `, # ^ ! ~ ] }`.
    #[error("tnetstring has unknown type tag {}", show_byte(*.0))]
    UnknownTag(u8),
    /// An integer's data is not `-`? followed by ASCII digits.
    #[error("tnetstring integer is not [-]digits: {text:?}")]
    BadInteger {
        /// Excerpt of the data.
        text: String,
    },
    /// An integer is well formed but outside the `i64` range.
    #[error("tnetstring integer does not fit in 64 bits: {text:?}")]
    IntegerOutOfRange {
        /// Excerpt of the data.
        text: String,
    },
    /// A float's data is not a decimal float, `inf` or `NaN`.
    #[error("tnetstring float is not a number: {text:?}")]
    BadFloat {
        /// Excerpt of the data.
        text: String,
    },
    /// A boolean's data is neither `true` nor `false`.
    #[error("tnetstring boolean is neither true nor false: {text:?}")]
    BadBool {
        /// Excerpt of the data.
        text: String,
    },
    /// A null declares a non-zero length.
    #[error("tnetstring null must have length 0, has {len}")]
    NullNotEmpty {
        /// The declared length.
        len: usize,
    },
    /// A dict key is not a string.
    #[error("tnetstring dict key must be a string, found {found}")]
    DictKeyNotString {
        /// Type name of the key found.
        found: &'static str,
    },
    /// A dict ends after a key, with no value for it.
    #[error("tnetstring dict key {key:?} has no value")]
    DictMissingValue {
        /// Excerpt of the key.
        key: String,
    },
    /// An element of a list/dict declares more bytes than its container holds: the container's
    /// own length is wrong, so waiting for more input would not help.
    #[error(
        "tnetstring {container} element runs past the end of the {container} by {needed} byte(s)"
    )]
    ElementOverrun {
        /// "list" or "dict".
        container: &'static str,
        /// How many bytes the element is short of.
        needed: usize,
    },
    /// [`super::parse_complete`] found bytes after the value.
    #[error("{count} unexpected byte(s) after the tnetstring value")]
    TrailingBytes {
        /// Number of extra bytes.
        count: usize,
    },
}

/// A short, lossily decoded excerpt of peer data for an error message.
pub(super) fn excerpt(data: &[u8]) -> String {
    let cut = data.get(..EXCERPT_MAX).unwrap_or(data);
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if cut.len() < data.len() {
        text.push('…');
    }
    text
}

/// A byte as a quoted, escaped character (`':'`, `'\x00'`) for error messages.
fn show_byte(byte: u8) -> String {
    format!("'{}'", byte.escape_ascii())
}
