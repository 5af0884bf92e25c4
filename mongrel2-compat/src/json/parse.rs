//! The tolerant object parser: Mongrel2's raw bytes and standard JSON escapes alike.

use super::lex::Parser;
use super::{Error, JsonValue, Object, MAX_ARRAY_ITEMS, MAX_DEPTH, MAX_KEYS};

/// Members a request's header object usually has (Mongrel2's 8 meta keys plus a browser's headers):
/// the object's first allocation.
const TYPICAL_KEYS: usize = 32;

/// Parses `input` as exactly one JSON object (whitespace around it allowed) whose pairs come back
/// in input order. String values and arrays of strings are decoded (zero-copy when unescaped);
/// anything else becomes [`JsonValue::Other`]. Fails on malformed text, on trailing bytes, and when
/// a cap ([`MAX_KEYS`], [`MAX_ARRAY_ITEMS`], [`MAX_DEPTH`]) is exceeded.
pub fn parse_object(input: &[u8]) -> Result<Object<'_>, Error> {
    let mut parser = Parser::new(input);
    parser.expect(b'{', "'{' opening the object", "an object")?;
    let object = parser.members()?;
    parser.skip_ws();
    if parser.pos < input.len() {
        return Err(Error::TrailingBytes { offset: parser.pos });
    }
    Ok(object)
}

impl<'a> Parser<'a> {
    /// The members of the top-level object (depth 1), after its `{`, up to and including `}`.
    fn members(&mut self) -> Result<Object<'a>, Error> {
        // Sized for a typical request's headers at once: growing 4 → 8 → 16 → 32 cost three
        // reallocations per request on the hot path of every handler and worker.
        let mut object = Vec::with_capacity(TYPICAL_KEYS);
        if self.empty_container(b'}') {
            return Ok(object);
        }
        loop {
            if object.len() == MAX_KEYS {
                return Err(Error::TooManyKeys { max: MAX_KEYS });
            }
            self.expect(b'"', "'\"' opening a key", "an object")?;
            let key = self.string()?;
            self.expect(b':', "':' after a key", "an object")?;
            let value = self.member_value()?;
            object.push((key, value));
            if self.comma_or_close(b'}', "',' or '}' after a value", "an object")? {
                return Ok(object);
            }
        }
    }

    /// A value of the top-level object: a string, an array of strings, or anything else as text.
    fn member_value(&mut self) -> Result<JsonValue<'a>, Error> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                Ok(JsonValue::Str(self.string()?))
            }
            Some(b'[') => {
                self.pos += 1;
                self.string_array(start)
            }
            _ => {
                self.skip_value(2)?;
                Ok(JsonValue::Other(&self.input[start..self.pos]))
            }
        }
    }

    /// An array at depth 2 after its `[`: a [`JsonValue::List`] when every item is a string,
    /// otherwise validated and returned as [`JsonValue::Other`].
    fn string_array(&mut self, start: usize) -> Result<JsonValue<'a>, Error> {
        let mut items = Vec::new();
        let mut all_strings = true;
        if !self.empty_container(b']') {
            let mut count = 0;
            loop {
                count += 1;
                if count > MAX_ARRAY_ITEMS {
                    return Err(Error::TooManyItems {
                        max: MAX_ARRAY_ITEMS,
                    });
                }
                self.skip_ws();
                if all_strings && self.peek() == Some(b'"') {
                    self.pos += 1;
                    items.push(self.string()?);
                } else {
                    all_strings = false;
                    items.clear();
                    self.skip_value(3)?;
                }
                if self.comma_or_close(b']', "',' or ']' after an item", "an array")? {
                    break;
                }
            }
        }
        Ok(if all_strings {
            JsonValue::List(items)
        } else {
            JsonValue::Other(&self.input[start..self.pos])
        })
    }

    /// Validates and steps over any value; `depth` is the level a container here would have.
    fn skip_value(&mut self, depth: usize) -> Result<(), Error> {
        self.skip_ws();
        let offset = self.pos;
        match self.peek() {
            None => Err(Error::Truncated { context: "a value" }),
            Some(b'"') => {
                self.pos += 1;
                self.string().map(drop)
            }
            Some(open @ (b'[' | b'{')) => {
                if depth > MAX_DEPTH {
                    return Err(Error::TooDeep { max: MAX_DEPTH });
                }
                self.pos += 1;
                self.skip_container(open == b'{', depth)
            }
            Some(_) => self.literal(offset),
        }
    }

    /// Steps over the rest of an array or object (after its opening byte).
    fn skip_container(&mut self, is_object: bool, depth: usize) -> Result<(), Error> {
        let (close, max, expected, context) = if is_object {
            (b'}', MAX_KEYS, "',' or '}' after a value", "an object")
        } else {
            (
                b']',
                MAX_ARRAY_ITEMS,
                "',' or ']' after an item",
                "an array",
            )
        };
        if self.empty_container(close) {
            return Ok(());
        }
        let mut count = 0;
        loop {
            count += 1;
            if count > max {
                return Err(if is_object {
                    Error::TooManyKeys { max }
                } else {
                    Error::TooManyItems { max }
                });
            }
            if is_object {
                self.expect(b'"', "'\"' opening a key", context)?;
                self.string()?;
                self.expect(b':', "':' after a key", context)?;
            }
            self.skip_value(depth + 1)?;
            if self.comma_or_close(close, expected, context)? {
                return Ok(());
            }
        }
    }

    /// Steps over `true`, `false`, `null` or a number
    /// (`-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`) starting at `offset`.
    fn literal(&mut self, offset: usize) -> Result<(), Error> {
        let rest = &self.input[offset..];
        for word in [&b"true"[..], b"false", b"null"] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(());
            }
        }
        let bad = Error::BadLiteral { offset };
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(bad),
        }
        if self.eat(b'.') && !self.digits() {
            return Err(bad);
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if !self.digits() {
                return Err(bad);
            }
        }
        Ok(())
    }

    /// Steps over ASCII digits; whether there was at least one.
    fn digits(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos > start
    }
}
