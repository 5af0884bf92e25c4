//! The parser: splits `LEN:DATA TAG` frames, checking every cap before allocating, and recurses
//! into lists and dicts with a depth counter.

use super::error::excerpt;
use super::{Error, Limits, Value};

/// Parses one value from the front of `input` with the default [`Limits`] and returns it with the
/// bytes after it, so several values (e.g. Mongrel2's headers then body) can be read in turn.
pub fn parse(input: &[u8]) -> Result<(Value<'_>, &[u8]), Error> {
    parse_with(input, &Limits::default())
}

/// Like [`parse`], with caller-chosen caps (e.g. a smaller `max_size` for control messages).
pub fn parse_with<'a>(input: &'a [u8], limits: &Limits) -> Result<(Value<'a>, &'a [u8]), Error> {
    Parser { limits }.value(input, 0)
}

/// Parses `input` as exactly one value with the default [`Limits`]; anything after it is
/// [`Error::TrailingBytes`]. For frames that must hold nothing else.
pub fn parse_complete(input: &[u8]) -> Result<Value<'_>, Error> {
    parse_complete_with(input, &Limits::default())
}

/// Like [`parse_complete`], with caller-chosen caps.
pub fn parse_complete_with<'a>(input: &'a [u8], limits: &Limits) -> Result<Value<'a>, Error> {
    let (value, rest) = parse_with(input, limits)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(Error::TrailingBytes { count: rest.len() })
    }
}

/// One `LEN:DATA TAG` unit, not yet interpreted.
struct Frame<'a> {
    data: &'a [u8],
    tag: u8,
    rest: &'a [u8],
}

/// Splits the frame at the front of `input`. Checks, in order and before any allocation: the digit
/// count, overflow, `LEN <= max_size` (even before the `:` arrives), the `:`, then that `LEN` bytes
/// and the tag are present.
fn split_frame<'a>(input: &'a [u8], limits: &Limits) -> Result<Frame<'a>, Error> {
    let digits = input.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits > limits.max_len_digits {
        return Err(Error::LengthDigits {
            max: limits.max_len_digits,
        });
    }
    let (len_text, after_digits) = input.split_at(digits);
    // Checked on the digits seen so far: more digits can only make the length larger.
    let len = decimal(len_text).ok_or(Error::LengthOverflow)?;
    if len > limits.max_size {
        return Err(Error::TooLarge {
            len,
            max: limits.max_size,
        });
    }
    let Some((&separator, body)) = after_digits.split_first() else {
        return Err(Error::Incomplete { needed: 1 });
    };
    if digits == 0 {
        return Err(Error::BadLength { found: separator });
    }
    if separator != b':' {
        return Err(Error::MissingColon { found: separator });
    }
    let with_tag = len.checked_add(1).ok_or(Error::LengthOverflow)?;
    if body.len() < with_tag {
        return Err(Error::Incomplete {
            needed: with_tag - body.len(),
        });
    }
    let (data, tag_and_rest) = body.split_at(len);
    match tag_and_rest.split_first() {
        Some((&tag, rest)) => Ok(Frame { data, tag, rest }),
        None => Err(Error::Incomplete { needed: 1 }),
    }
}

/// Value of ASCII digits with checked arithmetic; `None` on overflow.
fn decimal(digits: &[u8]) -> Option<usize> {
    digits.iter().try_fold(0usize, |acc, &d| {
        acc.checked_mul(10)?.checked_add(usize::from(d - b'0'))
    })
}

/// Holds the caps for one parse so the recursion does not pass them around.
struct Parser<'l> {
    limits: &'l Limits,
}

impl Parser<'_> {
    /// Parses one value; `depth` is the number of lists/dicts already entered.
    fn value<'a>(&self, input: &'a [u8], depth: usize) -> Result<(Value<'a>, &'a [u8]), Error> {
        let Frame { data, tag, rest } = split_frame(input, self.limits)?;
        let value = match tag {
            b',' => Value::Str(data),
            b'#' => Value::Int(integer(data)?),
            b'^' => Value::Float(float(data)?),
            b'!' => Value::Bool(boolean(data)?),
            b'~' if data.is_empty() => Value::Null,
            b'~' => return Err(Error::NullNotEmpty { len: data.len() }),
            b']' => Value::List(self.list(data, self.enter(depth)?)?),
            b'}' => Value::Dict(self.dict(data, self.enter(depth)?)?),
            other => return Err(Error::UnknownTag(other)),
        };
        Ok((value, rest))
    }

    /// The depth inside a new list/dict, or [`Error::TooDeep`] if that is past the cap.
    fn enter(&self, depth: usize) -> Result<usize, Error> {
        let inner = depth.saturating_add(1);
        if inner > self.limits.max_depth {
            return Err(Error::TooDeep {
                max: self.limits.max_depth,
            });
        }
        Ok(inner)
    }

    /// Parses one element inside a container's data. The container's data is complete, so an
    /// element that claims more bytes is malformed, not truncated.
    fn element<'a>(
        &self,
        data: &'a [u8],
        depth: usize,
        container: &'static str,
    ) -> Result<(Value<'a>, &'a [u8]), Error> {
        self.value(data, depth).map_err(|err| match err {
            Error::Incomplete { needed } => Error::ElementOverrun { container, needed },
            other => other,
        })
    }

    /// The items of a list's data. The Vec grows with items actually parsed (each takes at least
    /// three input bytes), never from a declared count.
    fn list<'a>(&self, mut data: &'a [u8], depth: usize) -> Result<Vec<Value<'a>>, Error> {
        let mut items = Vec::new();
        while !data.is_empty() {
            let (item, rest) = self.element(data, depth, "list")?;
            items.push(item);
            data = rest;
        }
        Ok(items)
    }

    /// The pairs of a dict's data: string key, then value, repeated; order and duplicates kept.
    fn dict<'a>(
        &self,
        mut data: &'a [u8],
        depth: usize,
    ) -> Result<Vec<(&'a [u8], Value<'a>)>, Error> {
        let mut pairs = Vec::new();
        while !data.is_empty() {
            let (key, rest) = self.element(data, depth, "dict")?;
            let Value::Str(key) = key else {
                return Err(Error::DictKeyNotString {
                    found: key.type_name(),
                });
            };
            if rest.is_empty() {
                return Err(Error::DictMissingValue { key: excerpt(key) });
            }
            let (value, rest) = self.element(rest, depth, "dict")?;
            pairs.push((key, value));
            data = rest;
        }
        Ok(pairs)
    }
}

/// `#` data: an optional `-` then ASCII digits (leading zeros allowed, as Mongrel2's `strtol` and
/// Python's `int` allow them); no `+`, no spaces, no wrapping.
fn integer(data: &[u8]) -> Result<i64, Error> {
    let digits = data.strip_prefix(b"-").unwrap_or(data);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Error::BadInteger {
            text: excerpt(data),
        });
    }
    std::str::from_utf8(data)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Error::IntegerOutOfRange {
            text: excerpt(data),
        })
}

/// `^` data: whatever Rust's `f64` parser accepts (`1.5`, `1.500000` as Python's `%f` writes,
/// `1e300`, `inf`, `NaN`); no surrounding spaces.
fn float(data: &[u8]) -> Result<f64, Error> {
    std::str::from_utf8(data)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Error::BadFloat {
            text: excerpt(data),
        })
}

/// `!` data: exactly `true` or `false`.
fn boolean(data: &[u8]) -> Result<bool, Error> {
    match data {
        b"true" => Ok(true),
        b"false" => Ok(false),
        _ => Err(Error::BadBool {
            text: excerpt(data),
        }),
    }
}
