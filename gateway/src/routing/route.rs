//! Route keys: the `path` of a `[[host.route]]`, split at its first `(` into a literal prefix and
//! an optional pattern (Mongrel2's rule, docs/mongrel2-protocol.md §6.2).

use super::pattern::{Pattern, PatternError};

/// A compiled route path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteKey {
    source: String,
    prefix_len: usize,
    pattern: Option<Pattern>,
}

impl RouteKey {
    /// Splits `source` at its first `(`: the text before is a literal byte prefix (pattern
    /// characters in it are literal), the rest a pattern matched after the prefix.
    pub fn parse(source: &str) -> Result<RouteKey, PatternError> {
        let (prefix_len, pattern) = match source.find('(') {
            Some(open) => (open, Some(Pattern::compile(&source[open..])?)),
            None => (source.len(), None),
        };
        Ok(RouteKey {
            source: source.to_owned(),
            prefix_len,
            pattern,
        })
    }

    /// The path as configured: Mongrel2's `PATTERN` request key.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The literal prefix a request path must start with.
    pub fn prefix(&self) -> &str {
        self.source.get(..self.prefix_len).unwrap_or_default()
    }

    /// The pattern after the prefix, if any.
    pub fn pattern(&self) -> Option<&Pattern> {
        self.pattern.as_ref()
    }

    /// Whether a path starting with [`prefix`](Self::prefix) belongs to this route: `rest` (the path
    /// after the prefix) must match the pattern at its start; a plain prefix takes any rest. A match
    /// over the step budget counts as no match.
    pub fn accepts_rest(&self, rest: &[u8]) -> bool {
        match &self.pattern {
            None => true,
            Some(pattern) => matches!(pattern.match_start(rest), Ok(Some(_))),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests panic on failure by design")]
mod tests {
    use super::RouteKey;

    #[test]
    fn split_at_the_first_paren() {
        let key = RouteKey::parse(r"/files/(.*\.json)").unwrap();
        assert_eq!(key.prefix(), "/files/");
        assert_eq!(key.pattern().unwrap().as_str(), r"(.*\.json)");
        assert_eq!(key.as_str(), r"/files/(.*\.json)");
        assert!(key.accepts_rest(b"a.json.bak"));
        assert!(!key.accepts_rest(b"a.txt"));
    }

    #[test]
    fn plain_keys_take_any_rest_and_keep_specials_literal() {
        let key = RouteKey::parse("/a.b*$").unwrap();
        assert_eq!(key.prefix(), "/a.b*$");
        assert!(key.pattern().is_none());
        assert!(key.accepts_rest(b"anything"));
    }

    #[test]
    fn bad_pattern_part_is_an_error() {
        assert!(RouteKey::parse("/x/([a)").is_err());
    }
}
