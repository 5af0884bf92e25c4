//! Host keys: the `matching` of a `[[host]]`. Text after the last `)` is a literal suffix of the
//! Host header; the text up to and including that `)` is a pattern that must match the whole rest
//! (docs/mongrel2-protocol.md §6.1), so `(.+).pat.test` takes `x.pat.test` but not `.pat.test`.

use super::pattern::{Pattern, PatternError};

/// A compiled host `matching` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKey {
    source: String,
    suffix_start: usize,
    pattern: Option<Pattern>,
}

impl HostKey {
    /// Splits `source` after its last `)`; without a `)` the whole text is a literal suffix
    /// (`*` and `.` included: `*.wild.test` matches only hosts ending in exactly that).
    pub fn parse(source: &str) -> Result<HostKey, PatternError> {
        let (suffix_start, pattern) = match source.rfind(')') {
            Some(close) => (close + 1, Some(Pattern::compile(&source[..=close])?)),
            None => (0, None),
        };
        Ok(HostKey {
            source: source.to_owned(),
            suffix_start,
            pattern,
        })
    }

    /// The value as configured.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The literal suffix a Host header must end with (case-sensitive, not label-aware).
    pub fn suffix(&self) -> &str {
        self.source.get(self.suffix_start..).unwrap_or_default()
    }

    /// The pattern before the suffix, if any.
    pub fn pattern(&self) -> Option<&Pattern> {
        self.pattern.as_ref()
    }

    /// Whether a host name ending in [`suffix`](Self::suffix) belongs to this key: `rest` (the name
    /// before the suffix) must match the whole pattern; a plain suffix takes any rest. A match over
    /// the step budget counts as no match.
    pub fn accepts_rest(&self, rest: &[u8]) -> bool {
        match &self.pattern {
            None => true,
            Some(pattern) => pattern.match_whole(rest) == Ok(true),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests panic on failure by design")]
mod tests {
    use super::HostKey;

    #[test]
    fn pattern_hosts_split_after_the_last_paren() {
        let key = HostKey::parse("(.+).pat.test").unwrap();
        assert_eq!(key.suffix(), ".pat.test");
        assert_eq!(key.pattern().unwrap().as_str(), "(.+)");
        assert!(key.accepts_rest(b"x"));
        assert!(key.accepts_rest(b"a.b"));
        assert!(!key.accepts_rest(b""));
    }

    #[test]
    fn plain_hosts_are_literal_suffixes() {
        let key = HostKey::parse("*.wild.test").unwrap();
        assert_eq!(key.suffix(), "*.wild.test");
        assert!(key.pattern().is_none());
        assert!(key.accepts_rest(b"anything"));
    }

    #[test]
    fn whole_rest_must_match() {
        let key = HostKey::parse(r"(\d+)-api.test").unwrap();
        assert!(key.accepts_rest(b"42"));
        assert!(!key.accepts_rest(b"42x"));
        assert!(HostKey::parse("([a).test").is_err());
    }
}
