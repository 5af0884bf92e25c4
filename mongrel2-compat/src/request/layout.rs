//! Where Mongrel2 puts the keys it writes outside its header table, per protocol.

use std::borrow::Cow;

use super::order::Entry;
use super::{key, HeaderValue, Headers, Protocol};

/// One key and its value in the built headers.
pub(super) type Pair<'a> = (Cow<'a, [u8]>, HeaderValue<'a>);

/// The keys Mongrel2 writes outside its header table, checked and ready to lay out.
pub(super) struct Meta<'a> {
    pub(super) path: &'a [u8],
    pub(super) method: &'a [u8],
    pub(super) version: Option<&'a [u8]>,
    pub(super) uri: Option<&'a [u8]>,
    pub(super) query: Option<&'a [u8]>,
    pub(super) fragment: Option<&'a [u8]>,
    pub(super) pattern: &'a [u8],
    pub(super) url_scheme: &'a [u8],
    pub(super) remote_addr: &'a [u8],
}

impl<'a> Meta<'a> {
    /// The full header list: JSON = PATH, table, METHOD, VERSION, URI, QUERY, FRAGMENT, PATTERN,
    /// URL_SCHEME, REMOTE_ADDR; tnetstring = REMOTE_ADDR, METHOD, URL_SCHEME, PATTERN, FRAGMENT,
    /// QUERY, URI, VERSION, PATH, table reversed (Mongrel2 renders that dict back to front).
    /// `table` is the header table's entries in scan order; the list is allocated once, at its size.
    pub(super) fn layout(&self, protocol: Protocol, table: Vec<Entry<'a>>) -> Headers<'a> {
        let pair = |key: &'static [u8], value: Option<&'a [u8]>| {
            value.map(|value| (Cow::Borrowed(key), HeaderValue::One(Cow::Borrowed(value))))
        };
        let mut headers = Headers::with_capacity(1 + table.len() + 8);
        let mut push = |pair: Option<Pair<'a>>| {
            if let Some((key, value)) = pair {
                headers.push(key, value);
            }
        };
        match protocol {
            Protocol::Json => {
                push(pair(key::PATH, Some(self.path)));
                for entry in table {
                    push(Some(entry.into_pair()));
                }
                for tail in [
                    pair(key::METHOD, Some(self.method)),
                    pair(key::VERSION, self.version),
                    pair(key::URI, self.uri),
                    pair(key::QUERY, self.query),
                    pair(key::FRAGMENT, self.fragment),
                    pair(key::PATTERN, Some(self.pattern)),
                    pair(key::URL_SCHEME, Some(self.url_scheme)),
                    pair(key::REMOTE_ADDR, Some(self.remote_addr)),
                ] {
                    push(tail);
                }
            }
            Protocol::Tnetstring => {
                for head in [
                    pair(key::REMOTE_ADDR, Some(self.remote_addr)),
                    pair(key::METHOD, Some(self.method)),
                    pair(key::URL_SCHEME, Some(self.url_scheme)),
                    pair(key::PATTERN, Some(self.pattern)),
                    pair(key::FRAGMENT, self.fragment),
                    pair(key::QUERY, self.query),
                    pair(key::URI, self.uri),
                    pair(key::VERSION, self.version),
                    pair(key::PATH, Some(self.path)),
                ] {
                    push(head);
                }
                for entry in table.into_iter().rev() {
                    push(Some(entry.into_pair()));
                }
            }
        }
        headers
    }
}

impl<'a> Entry<'a> {
    /// The key and its value(s): one value as `One` (no allocation), several as `Many`.
    fn into_pair(self) -> Pair<'a> {
        let value = if self.more.is_empty() {
            HeaderValue::One(self.first)
        } else {
            let mut many = Vec::with_capacity(1 + self.more.len());
            many.push(self.first);
            many.extend(self.more);
            HeaderValue::Many(many)
        };
        (self.key, value)
    }
}
