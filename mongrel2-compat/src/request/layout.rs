//! Where Mongrel2 puts the keys it writes outside its header table, per protocol.

use std::borrow::Cow;

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
    pub(super) fn layout(&self, protocol: Protocol, table: Vec<Pair<'a>>) -> Headers<'a> {
        let pair = |key: &'static [u8], value: Option<&'a [u8]>| {
            value.map(|value| (Cow::Borrowed(key), HeaderValue::One(Cow::Borrowed(value))))
        };
        match protocol {
            Protocol::Json => {
                let tail = [
                    pair(key::METHOD, Some(self.method)),
                    pair(key::VERSION, self.version),
                    pair(key::URI, self.uri),
                    pair(key::QUERY, self.query),
                    pair(key::FRAGMENT, self.fragment),
                    pair(key::PATTERN, Some(self.pattern)),
                    pair(key::URL_SCHEME, Some(self.url_scheme)),
                    pair(key::REMOTE_ADDR, Some(self.remote_addr)),
                ];
                let path = pair(key::PATH, Some(self.path));
                path.into_iter()
                    .chain(table)
                    .chain(tail.into_iter().flatten())
                    .collect()
            }
            Protocol::Tnetstring => {
                let head = [
                    pair(key::REMOTE_ADDR, Some(self.remote_addr)),
                    pair(key::METHOD, Some(self.method)),
                    pair(key::URL_SCHEME, Some(self.url_scheme)),
                    pair(key::PATTERN, Some(self.pattern)),
                    pair(key::FRAGMENT, self.fragment),
                    pair(key::QUERY, self.query),
                    pair(key::URI, self.uri),
                    pair(key::VERSION, self.version),
                    pair(key::PATH, Some(self.path)),
                ];
                head.into_iter()
                    .flatten()
                    .chain(table.into_iter().rev())
                    .collect()
            }
        }
    }
}
