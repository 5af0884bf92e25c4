//! Byte sets: every single-byte item of a pattern (`.`, a literal, a `\d`-style class, a `[set]`)
//! compiles to one 256-bit set, so matching a byte is one bit test whatever the pattern said.

/// A set of bytes as a 256-bit bitmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    /// The set holding every byte (`.`).
    pub(crate) fn all() -> ByteSet {
        ByteSet([u64::MAX; 4])
    }

    /// The set holding exactly `byte`.
    pub(crate) fn single(byte: u8) -> ByteSet {
        let mut set = ByteSet::default();
        set.insert(byte);
        set
    }

    /// Whether `byte` is in the set.
    pub(crate) fn contains(&self, byte: u8) -> bool {
        let word = self.0[usize::from(byte >> 6)];
        word & (1u64 << (byte & 63)) != 0
    }

    /// Adds `byte`.
    pub(crate) fn insert(&mut self, byte: u8) {
        self.0[usize::from(byte >> 6)] |= 1u64 << (byte & 63);
    }

    /// Adds every byte in `low..=high` (nothing when `low > high`, as in Lua).
    pub(crate) fn insert_range(&mut self, low: u8, high: u8) {
        for byte in low..=high {
            self.insert(byte);
        }
    }

    /// Adds every byte of `other`.
    pub(crate) fn union(&mut self, other: &ByteSet) {
        for (word, add) in self.0.iter_mut().zip(other.0) {
            *word |= add;
        }
    }

    /// The complement (for upper-case classes and `[^set]`).
    pub(crate) fn negated(&self) -> ByteSet {
        ByteSet(self.0.map(|word| !word))
    }

    /// The set for an escaped character `\c`: a class for `a c d l p s u w x z` (upper case = the
    /// complement, C-locale ctype as in Mongrel2), otherwise the character itself.
    pub(crate) fn escaped(letter: u8) -> ByteSet {
        match class(letter.to_ascii_lowercase()) {
            Some(set) if letter.is_ascii_uppercase() => set.negated(),
            Some(set) => set,
            None => ByteSet::single(letter),
        }
    }
}

/// The lower-case class letters of Lua patterns, as sets (ASCII only, like the C locale).
fn class(letter: u8) -> Option<ByteSet> {
    let test: fn(u8) -> bool = match letter {
        b'a' => |b: u8| b.is_ascii_alphabetic(),
        b'c' => |b: u8| b.is_ascii_control(),
        b'd' => |b: u8| b.is_ascii_digit(),
        b'l' => |b: u8| b.is_ascii_lowercase(),
        b'p' => |b: u8| b.is_ascii_punctuation(),
        // C's isspace also counts the vertical tab, which Rust's is_ascii_whitespace does not.
        b's' => |b: u8| b.is_ascii_whitespace() || b == 0x0b,
        b'u' => |b: u8| b.is_ascii_uppercase(),
        b'w' => |b: u8| b.is_ascii_alphanumeric(),
        b'x' => |b: u8| b.is_ascii_hexdigit(),
        b'z' => |b: u8| b == 0,
        _ => return None,
    };
    let mut set = ByteSet::default();
    for byte in 0..=u8::MAX {
        if test(byte) {
            set.insert(byte);
        }
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::ByteSet;

    #[test]
    fn classes_follow_the_c_locale() {
        let digits = ByteSet::escaped(b'd');
        assert!(digits.contains(b'0') && digits.contains(b'9') && !digits.contains(b'a'));
        let not_digits = ByteSet::escaped(b'D');
        assert!(
            !not_digits.contains(b'5') && not_digits.contains(b'x') && not_digits.contains(0xff)
        );
        assert!(ByteSet::escaped(b's').contains(0x0b));
        assert!(ByteSet::escaped(b'p').contains(b'.') && !ByteSet::escaped(b'p').contains(b'a'));
        assert!(ByteSet::escaped(b'z').contains(0) && !ByteSet::escaped(b'Z').contains(0));
    }

    #[test]
    fn other_escapes_are_literals() {
        let dot = ByteSet::escaped(b'.');
        assert!(dot.contains(b'.') && !dot.contains(b'a'));
        assert_eq!(ByteSet::escaped(b'1'), ByteSet::single(b'1'));
    }

    #[test]
    fn reversed_range_is_empty_and_all_holds_every_byte() {
        let mut set = ByteSet::default();
        set.insert_range(b'z', b'a');
        assert_eq!(set, ByteSet::default());
        assert!((0..=u8::MAX).all(|b| ByteSet::all().contains(b)));
    }
}
