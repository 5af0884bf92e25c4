//! The encoder: Mongrel2's JSON form (no whitespace, only `"` and `\` escaped).

/// Appends `s` as a JSON string the way Mongrel2's `json_escape` does: `"` becomes `\"`, `\`
/// becomes `\\`, every other byte (control bytes, 0xff, ...) is copied raw.
///
/// Mongrel2 escapes only values and writes keys and the PATH value raw; its HTTP parser cannot
/// put `"` or `\` into those, so escaping them too gives the same bytes for everything Mongrel2
/// can send, and keeps our output parseable when a caller passes such bytes anyway.
pub fn write_str(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    match first_escape(s) {
        // The common case (header values rarely hold `"` or `\`): one copy.
        None => out.extend_from_slice(s),
        Some(first) => {
            out.reserve(s.len() + escapes(&s[first..]) + 1);
            let mut start = 0;
            for (i, &byte) in s.iter().enumerate().skip(first) {
                if byte == b'"' || byte == b'\\' {
                    out.extend_from_slice(&s[start..i]);
                    out.push(b'\\');
                    start = i;
                }
            }
            out.extend_from_slice(&s[start..]);
        }
    }
    out.push(b'"');
}

/// The index of the first `"` or `\` in `s`, eight bytes at a time: header keys and values are
/// short, too short for a vector loop's set-up to pay.
fn first_escape(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    // The lowest high bit set in `(x - ONES) & !x & HIGHS` marks the first zero byte of `x` (a borrow
    // may set bits above it too, never below), so the first match is exact.
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut words = s.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let word = u64::from_le_bytes(bytes);
        let hits = zero_bytes(word ^ QUOTES) | zero_bytes(word ^ BACKSLASHES);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|i| at + i)
}

/// Bytes [`write_str`] appends for `s`: the quotes, the bytes, one more per `"` or `\`.
pub fn str_len(s: &[u8]) -> usize {
    s.len() + escapes(s) + 2
}

/// How many bytes of `s` need a backslash (a counting loop the compiler vectorizes).
fn escapes(s: &[u8]) -> usize {
    s.iter().filter(|&&b| b == b'"' || b == b'\\').count()
}

/// Writes one JSON object in Mongrel2's form, pair by pair, with no intermediate tree: `{`,
/// `"key":"value"` or `"key":["a","b"]` separated by `,`, then `}` on [`ObjectWriter::finish`].
#[derive(Debug)]
pub struct ObjectWriter<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> ObjectWriter<'o> {
    /// Starts an object (writes `{`) at the end of `out`.
    pub fn new(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        ObjectWriter { out, first: true }
    }

    /// Appends `"key":"value"`.
    pub fn str(&mut self, key: &[u8], value: &[u8]) -> &mut Self {
        self.key(key);
        write_str(self.out, value);
        self
    }

    /// Appends `"key":["v1","v2",...]`, the form Mongrel2 uses for a repeated header.
    pub fn list<'v>(
        &mut self,
        key: &[u8],
        values: impl IntoIterator<Item = &'v [u8]>,
    ) -> &mut Self {
        self.key(key);
        self.out.push(b'[');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write_str(self.out, value);
        }
        self.out.push(b']');
        self
    }

    /// Closes the object (writes `}`).
    pub fn finish(self) {
        self.out.push(b'}');
    }

    /// Writes the separator (unless first) and `"key":`.
    fn key(&mut self, key: &[u8]) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_str(self.out, key);
        self.out.push(b':');
    }
}
