//! The lexical layer of the JSON parser: a cursor over the text, punctuation, and strings
//! (raw bytes as Mongrel2 writes them, or standard escapes as others do).

use std::borrow::Cow;

use super::Error;

/// A cursor over the text; `pos` is the next unread byte. The grammar in `parse.rs` extends it.
pub(super) struct Parser<'a> {
    pub(super) input: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Parser<'a> {
    /// A cursor at the start of `input`.
    pub(super) fn new(input: &'a [u8]) -> Self {
        Parser { input, pos: 0 }
    }

    /// The rest of a string after its opening `"`, up to and including the closing `"`.
    /// Borrowed when the string has no escapes.
    pub(super) fn string(&mut self) -> Result<Cow<'a, [u8]>, Error> {
        let input = self.input;
        let rest = &input[self.pos..];
        let Some(stop) = rest.iter().position(|&b| b == b'"' || b == b'\\') else {
            return Err(Error::Truncated {
                context: "a string",
            });
        };
        self.pos += stop;
        if rest[stop] == b'"' {
            self.pos += 1;
            return Ok(Cow::Borrowed(&rest[..stop]));
        }
        let mut buf = rest[..stop].to_vec();
        loop {
            match self.next_byte("a string")? {
                b'"' => return Ok(Cow::Owned(buf)),
                b'\\' => self.escape(&mut buf)?,
                byte => buf.push(byte),
            }
        }
    }

    /// Decodes one escape (the `\` already read) onto `buf`.
    fn escape(&mut self, buf: &mut Vec<u8>) -> Result<(), Error> {
        let offset = self.pos - 1;
        let decoded = match self.next_byte("a string")? {
            byte @ (b'"' | b'\\' | b'/') => byte,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => return self.unicode(offset, buf),
            _ => return Err(Error::BadEscape { offset }),
        };
        buf.push(decoded);
        Ok(())
    }

    /// Decodes `XXXX` after `\u` (and a following `\uXXXX` low surrogate) as UTF-8 onto `buf`.
    fn unicode(&mut self, offset: usize, buf: &mut Vec<u8>) -> Result<(), Error> {
        let unit = self.hex4(offset)?;
        let code = match unit {
            0xD800..=0xDBFF => {
                if !self.input[self.pos..].starts_with(b"\\u") {
                    return Err(Error::LoneSurrogate { offset });
                }
                self.pos += 2;
                let low = self.hex4(offset)?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(Error::LoneSurrogate { offset });
                }
                0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(Error::LoneSurrogate { offset }),
            _ => unit,
        };
        let ch = char::from_u32(code).ok_or(Error::LoneSurrogate { offset })?;
        buf.extend_from_slice(ch.encode_utf8(&mut [0u8; 4]).as_bytes());
        Ok(())
    }

    /// Four hex digits as a number; `offset` is the escape's backslash, for the error.
    fn hex4(&mut self, offset: usize) -> Result<u32, Error> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = match self.next_byte("a string")? {
                byte @ b'0'..=b'9' => byte - b'0',
                byte @ b'a'..=b'f' => byte - b'a' + 10,
                byte @ b'A'..=b'F' => byte - b'A' + 10,
                _ => return Err(Error::BadEscape { offset }),
            };
            value = value * 16 + u32::from(digit);
        }
        Ok(value)
    }

    /// Skips whitespace, then consumes `close` if it is next (an empty container).
    pub(super) fn empty_container(&mut self, close: u8) -> bool {
        self.skip_ws();
        self.eat(close)
    }

    /// After a member/item: `true` on `close`, `false` on `,`, an error otherwise.
    pub(super) fn comma_or_close(
        &mut self,
        close: u8,
        expected: &'static str,
        context: &'static str,
    ) -> Result<bool, Error> {
        self.skip_ws();
        let offset = self.pos;
        match self.next_byte(context)? {
            b',' => Ok(false),
            byte if byte == close => Ok(true),
            found => Err(Error::Unexpected {
                expected,
                found,
                offset,
            }),
        }
    }

    /// Skips whitespace, then requires `want`.
    pub(super) fn expect(
        &mut self,
        want: u8,
        expected: &'static str,
        context: &'static str,
    ) -> Result<(), Error> {
        self.skip_ws();
        let offset = self.pos;
        match self.next_byte(context)? {
            found if found == want => Ok(()),
            found => Err(Error::Unexpected {
                expected,
                found,
                offset,
            }),
        }
    }

    /// Consumes `byte` if it is next.
    pub(super) fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// The next byte, consumed; `context` names what was being read if the text ends.
    pub(super) fn next_byte(&mut self, context: &'static str) -> Result<u8, Error> {
        let byte = self.peek().ok_or(Error::Truncated { context })?;
        self.pos += 1;
        Ok(byte)
    }

    /// The next byte, not consumed.
    pub(super) fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Skips JSON whitespace (space, tab, LF, CR), which Mongrel2 never writes but others do.
    pub(super) fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }
}
