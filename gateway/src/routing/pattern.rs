//! Mongrel2's pattern language (docs/mongrel2-protocol.md §6.4): Lua patterns with `\` as the escape
//! character and `(`/`)` ignored. Route and host keys use it for the part after the literal text.
//!
//! We compile a pattern once, at config validation, into a list of `Item`s and match it with a
//! small backtracking interpreter. Backtracking on a hostile path could take exponential time
//! (`.*.*.*.*x`), so every match runs under [`MATCH_STEP_BUDGET`]; a match that would need more
//! steps reports [`OverBudget`], which the router treats as "no match".
//!
//! ```
//! use scale0_gateway::routing::pattern::Pattern;
//! let pattern = Pattern::compile(r"(\d+)$").unwrap();
//! assert_eq!(pattern.match_start(b"123"), Ok(Some(3)));
//! assert_eq!(pattern.match_start(b"12a"), Ok(None));
//! ```

mod matcher;
mod set;

use set::ByteSet;

/// Longest pattern text accepted, in bytes: routes and host names are short, and the matcher's
/// recursion depth grows with the number of items, so this also bounds its stack use.
pub const MAX_PATTERN_BYTES: usize = 256;

/// Most matcher steps (one step per byte tested or alternative tried) a single match may take.
/// Realistic patterns need about two steps per subject byte, so paths up to ~30 KB are unaffected;
/// pathological pattern/subject pairs stop here instead of burning CPU.
pub const MATCH_STEP_BUDGET: u32 = 100_000;

/// Why a pattern does not compile. Each names the byte offset in the pattern text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// The pattern text is longer than [`MAX_PATTERN_BYTES`].
    #[error("pattern is {len} bytes, more than the {max} allowed")]
    TooLong {
        /// Length of the rejected text.
        len: usize,
        /// The cap, [`MAX_PATTERN_BYTES`].
        max: usize,
    },
    /// A `\` is the last byte, so it escapes nothing.
    #[error("pattern ends with a lone '\\'")]
    TrailingEscape,
    /// A `[` set has no closing `]`.
    #[error("'[' at byte {at} has no closing ']'")]
    UnterminatedSet {
        /// Offset of the `[`.
        at: usize,
    },
    /// `\b` needs the two delimiter bytes after it.
    #[error("'\\b' at byte {at} needs two characters after it")]
    IncompleteBalance {
        /// Offset of the `\`.
        at: usize,
    },
    /// `\f` must be followed by a `[set]`.
    #[error("'\\f' at byte {at} must be followed by a '[set]'")]
    FrontierWithoutSet {
        /// Offset of the `\`.
        at: usize,
    },
}

/// A match needed more than [`MATCH_STEP_BUDGET`] steps and was abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("pattern match abandoned after {MATCH_STEP_BUDGET} steps")]
pub struct OverBudget;

/// How many times a single-byte item may repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quant {
    /// Exactly once.
    One,
    /// `?`: zero or one, preferring one.
    Optional,
    /// `*`: zero or more, longest first.
    Star,
    /// `+`: one or more, longest first.
    Plus,
    /// `-`: zero or more, shortest first.
    Lazy,
}

/// One compiled element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// A byte from `set`, repeated per `quant`.
    Single { set: ByteSet, quant: Quant },
    /// `\bxy`: a balanced run from `open` to its matching `close`.
    Balance { open: u8, close: u8 },
    /// `\f[set]`: the position where the previous byte is outside `set` and the next inside.
    Frontier(ByteSet),
    /// A final `$`: the subject must end here.
    End,
}

/// A compiled pattern; keeps its source text for logs and the Mongrel2 `PATTERN` key.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    items: Vec<Item>,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

impl Pattern {
    /// Compiles `source`, rejecting malformed text so that routing never meets a bad pattern.
    pub fn compile(source: &str) -> Result<Pattern, PatternError> {
        if source.len() > MAX_PATTERN_BYTES {
            return Err(PatternError::TooLong {
                len: source.len(),
                max: MAX_PATTERN_BYTES,
            });
        }
        let bytes = source.as_bytes();
        let mut items = Vec::new();
        let mut at = 0;
        while let Some(&byte) = bytes.get(at) {
            let next = bytes.get(at + 1).copied();
            match (byte, next) {
                (b'(' | b')', _) => at += 1,
                (b'$', None) => {
                    items.push(Item::End);
                    at += 1;
                }
                (b'\\', Some(b'b')) => match (bytes.get(at + 2), bytes.get(at + 3)) {
                    (Some(&open), Some(&close)) => {
                        items.push(Item::Balance { open, close });
                        at += 4;
                    }
                    _ => return Err(PatternError::IncompleteBalance { at }),
                },
                (b'\\', Some(b'f')) => {
                    if bytes.get(at + 2) != Some(&b'[') {
                        return Err(PatternError::FrontierWithoutSet { at });
                    }
                    let (set, after) = bracket(bytes, at + 2)?;
                    items.push(Item::Frontier(set));
                    at = after;
                }
                _ => {
                    let (set, after) = single(bytes, at)?;
                    let quant = match bytes.get(after) {
                        Some(b'?') => Quant::Optional,
                        Some(b'*') => Quant::Star,
                        Some(b'+') => Quant::Plus,
                        Some(b'-') => Quant::Lazy,
                        _ => Quant::One,
                    };
                    at = if quant == Quant::One {
                        after
                    } else {
                        after + 1
                    };
                    items.push(Item::Single { set, quant });
                }
            }
        }
        Ok(Pattern {
            source: source.to_owned(),
            items,
        })
    }

    /// The pattern text exactly as configured.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Matches at the start of `subject` (not at its end unless the pattern ends in `$`), as
    /// Mongrel2 does for routes; `Some(end)` is the offset where the match stopped.
    pub fn match_start(&self, subject: &[u8]) -> Result<Option<usize>, OverBudget> {
        matcher::run(&self.items, subject, false)
    }

    /// Whether the pattern matches the whole of `subject`, as host patterns must.
    pub fn match_whole(&self, subject: &[u8]) -> Result<bool, OverBudget> {
        Ok(matcher::run(&self.items, subject, true)?.is_some())
    }
}

/// Compiles the single-byte item at `at` (`.`, `\x`, `[set]` or a literal); returns it and the offset
/// after it.
fn single(bytes: &[u8], at: usize) -> Result<(ByteSet, usize), PatternError> {
    match bytes.get(at) {
        Some(b'.') => Ok((ByteSet::all(), at + 1)),
        Some(b'\\') => match bytes.get(at + 1) {
            Some(&letter) => Ok((ByteSet::escaped(letter), at + 2)),
            None => Err(PatternError::TrailingEscape),
        },
        Some(b'[') => bracket(bytes, at),
        Some(&literal) => Ok((ByteSet::single(literal), at + 1)),
        None => Err(PatternError::TrailingEscape),
    }
}

/// Compiles the `[set]` opening at `open` with Lua's rules: an optional `^` negates, the first byte
/// after `[` or `[^` is a member even if it is `]`, `\` escapes (classes allowed), `a-z` is a range
/// unless the `-` is last. Returns the set and the offset after the closing `]`.
fn bracket(bytes: &[u8], open: usize) -> Result<(ByteSet, usize), PatternError> {
    let unterminated = PatternError::UnterminatedSet { at: open };
    let mut first = open + 1;
    let negate = bytes.get(first) == Some(&b'^');
    if negate {
        first += 1;
    }
    let mut close = first;
    loop {
        let byte = *bytes.get(close).ok_or(unterminated.clone())?;
        close += 1;
        if byte == b'\\' && close < bytes.len() {
            close += 1;
        }
        if bytes.get(close) == Some(&b']') {
            break;
        }
    }
    let mut set = ByteSet::default();
    let mut at = first;
    while at < close {
        let byte = bytes[at];
        if byte == b'\\' {
            let letter = *bytes.get(at + 1).ok_or(unterminated.clone())?;
            set.union(&ByteSet::escaped(letter));
            at += 2;
        } else if bytes.get(at + 1) == Some(&b'-') && at + 2 < close {
            set.insert_range(byte, bytes[at + 2]);
            at += 3;
        } else {
            set.insert(byte);
            at += 1;
        }
    }
    let set = if negate { set.negated() } else { set };
    Ok((set, close + 1))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests panic on failure by design")]
mod tests;
