//! Why a JSON object could not be parsed.

/// A JSON parse failure. Every variant names where in the text (byte offset) or which cap failed,
/// so a log line points at the fault without quoting peer data.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The text ends before the object does.
    #[error("JSON text ends inside {context}")]
    Truncated {
        /// What was being read ("an object", "a string", ...).
        context: &'static str,
    },
    /// A byte that the grammar does not allow at this point.
    #[error("JSON expected {expected} at byte {offset}, found {}", show_byte(*.found))]
    Unexpected {
        /// What the grammar wanted there.
        expected: &'static str,
        /// The byte found instead.
        found: u8,
        /// Its offset in the text.
        offset: usize,
    },
    /// A `\` escape that JSON does not define, or a `\u` without four hex digits.
    #[error("JSON string has an invalid escape at byte {offset}")]
    BadEscape {
        /// Offset of the backslash.
        offset: usize,
    },
    /// A `\uD800`-`\uDFFF` escape that is not part of a high+low surrogate pair: it stands for no
    /// character, so there are no bytes to decode it to.
    #[error("JSON string has an unpaired surrogate escape at byte {offset}")]
    LoneSurrogate {
        /// Offset of the backslash.
        offset: usize,
    },
    /// A number or `true`/`false`/`null` literal that is malformed.
    #[error("JSON value at byte {offset} is not a valid number or literal")]
    BadLiteral {
        /// Offset where the value starts.
        offset: usize,
    },
    /// An object has more than [`super::MAX_KEYS`] keys.
    #[error("JSON object has more than {max} keys")]
    TooManyKeys {
        /// The cap.
        max: usize,
    },
    /// An array has more than [`super::MAX_ARRAY_ITEMS`] items.
    #[error("JSON array has more than {max} items")]
    TooManyItems {
        /// The cap.
        max: usize,
    },
    /// Arrays/objects nest deeper than [`super::MAX_DEPTH`].
    #[error("JSON nests arrays/objects deeper than {max} levels")]
    TooDeep {
        /// The cap.
        max: usize,
    },
    /// Something other than whitespace follows the object.
    #[error("unexpected bytes after the JSON object at byte {offset}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
    },
}

/// A byte as a quoted, escaped character (`':'`, `'\xff'`) for error messages.
fn show_byte(byte: u8) -> String {
    format!("'{}'", byte.escape_ascii())
}
