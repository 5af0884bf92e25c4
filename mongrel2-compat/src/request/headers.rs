//! The header keys of a request, in wire order.

use std::borrow::Cow;

/// A header key's value: one string, or the array Mongrel2 sends for a header repeated 2-5 times
/// (values in arrival order). Kept apart so `["x"]` and `"x"` re-encode differently, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue<'a> {
    /// A single value: a JSON string / tnetstring string.
    One(Cow<'a, [u8]>),
    /// A repeated header: a JSON array / tnetstring list of strings.
    Many(Vec<Cow<'a, [u8]>>),
}

impl<'a> HeaderValue<'a> {
    /// The value, or the first of several: what Mongrel2 itself uses (e.g. the first
    /// `Content-Length` decides the body length). Empty for an empty array.
    pub fn first(&self) -> &[u8] {
        match self {
            HeaderValue::One(value) => value,
            HeaderValue::Many(values) => values.first().map_or(&[][..], |v| v),
        }
    }

    /// All values in order (one for [`HeaderValue::One`]).
    pub fn values(&self) -> impl Iterator<Item = &[u8]> {
        let (one, many) = match self {
            HeaderValue::One(value) => (Some(&value[..]), &[][..]),
            HeaderValue::Many(values) => (None, &values[..]),
        };
        one.into_iter().chain(many.iter().map(|v| &v[..]))
    }

    /// A copy that owns its bytes, to keep past the frame's lifetime.
    pub fn into_owned(self) -> HeaderValue<'static> {
        match self {
            HeaderValue::One(value) => HeaderValue::One(Cow::Owned(value.into_owned())),
            HeaderValue::Many(values) => HeaderValue::Many(
                values
                    .into_iter()
                    .map(|v| Cow::Owned(v.into_owned()))
                    .collect(),
            ),
        }
    }
}

impl<'a> From<&'a [u8]> for HeaderValue<'a> {
    /// A single borrowed value.
    fn from(value: &'a [u8]) -> Self {
        HeaderValue::One(Cow::Borrowed(value))
    }
}

/// The header object of a request as an ordered list of keys. Order is kept exactly as decoded or
/// built because Mongrel2's bytes depend on it; lookups are linear, which is fast for the few
/// dozen keys a request has. Duplicate keys are kept (a foreign producer may send them) and
/// [`Headers::get`] returns the first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers<'a> {
    entries: Vec<(Cow<'a, [u8]>, HeaderValue<'a>)>,
}

impl<'a> Headers<'a> {
    /// An empty list.
    pub fn new() -> Self {
        Headers {
            entries: Vec::new(),
        }
    }

    /// An empty list with room for `capacity` keys.
    pub fn with_capacity(capacity: usize) -> Self {
        Headers {
            entries: Vec::with_capacity(capacity),
        }
    }

    /// The value of the first key equal to `name`, byte for byte. Client header names are
    /// lower-case on the wire (`host`), Mongrel2's own keys upper-case (`METHOD`).
    pub fn get(&self, name: &[u8]) -> Option<&HeaderValue<'a>> {
        self.entries
            .iter()
            .find(|(key, _)| &key[..] == name)
            .map(|(_, value)| value)
    }

    /// The (first) value of `name` as UTF-8 text; `None` if absent or not UTF-8 (Mongrel2
    /// forwards header bytes as they came, so values need not be text).
    pub fn get_str(&self, name: &[u8]) -> Option<&str> {
        std::str::from_utf8(self.get(name)?.first()).ok()
    }

    /// Keys and values in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &HeaderValue<'a>)> {
        self.entries.iter().map(|(key, value)| (&key[..], value))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends a key at the end of the wire order (no merging, no lower-casing: the bytes go out
    /// as given).
    pub fn push(&mut self, name: impl Into<Cow<'a, [u8]>>, value: HeaderValue<'a>) {
        self.entries.push((name.into(), value));
    }

    /// A copy that owns all its bytes.
    pub fn into_owned(self) -> Headers<'static> {
        Headers {
            entries: self
                .entries
                .into_iter()
                .map(|(key, value)| (Cow::Owned(key.into_owned()), value.into_owned()))
                .collect(),
        }
    }
}

impl<'a> FromIterator<(Cow<'a, [u8]>, HeaderValue<'a>)> for Headers<'a> {
    /// Collects pairs in iteration order.
    fn from_iter<I: IntoIterator<Item = (Cow<'a, [u8]>, HeaderValue<'a>)>>(iter: I) -> Self {
        Headers {
            entries: iter.into_iter().collect(),
        }
    }
}
