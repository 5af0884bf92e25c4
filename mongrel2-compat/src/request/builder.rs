//! Building a request exactly as Mongrel2 1.12 would send it for an HTTP request (or a JSON/XML
//! socket message, or a WebSocket message): the gateway's side of decision 1 in DESIGN.md.

use std::borrow::Cow;

use super::built::{BuildError, Built, DropReason, Dropped};
use super::layout::Meta;
use super::order::{Added, Entry, Table};
use super::{key, Protocol, Request};

/// Mongrel2's default `limits.header_count`: client headers beyond this many keys are dropped.
pub const DEFAULT_HEADER_COUNT: usize = 1280;

/// Collects the parts of one request and lays them out in Mongrel2's order ([`Builder::build`]).
///
/// Key order (docs §2.2): JSON = `PATH`, the header table in hash-table order, then `METHOD`,
/// `VERSION`, `URI`, `QUERY`, `FRAGMENT`, `PATTERN`, `URL_SCHEME`, `REMOTE_ADDR` (absent ones
/// skipped); tnetstring = `REMOTE_ADDR`, `METHOD`, `URL_SCHEME`, `PATTERN`, `FRAGMENT`, `QUERY`,
/// `URI`, `VERSION`, `PATH`, then the table in reverse. The table is filled in Mongrel2's order:
/// client headers as they arrived (names lower-cased, repeats merged), then `x-forwarded-for`,
/// then the [`Builder::extra`] keys in the order they were added.
#[derive(Debug, Clone)]
pub struct Builder<'a> {
    sender: &'a [u8],
    conn_id: u64,
    protocol: Protocol,
    path: Option<&'a [u8]>,
    method: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
    uri: Option<&'a [u8]>,
    query: Option<&'a [u8]>,
    fragment: Option<&'a [u8]>,
    pattern: Option<&'a [u8]>,
    url_scheme: &'a [u8],
    remote_addr: Option<&'a [u8]>,
    forwarded_for: ForwardedFor<'a>,
    headers: Vec<(&'a [u8], &'a [u8])>,
    extra: Vec<Extra<'a>>,
    body: &'a [u8],
    header_count: usize,
}

/// One of Mongrel2's own table keys and its value (see [`Builder::extra`]).
type Extra<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// What goes into the `x-forwarded-for` key.
#[derive(Debug, Clone, Copy)]
enum ForwardedFor<'a> {
    /// The REMOTE_ADDR value, replacing any client value (Mongrel2's default).
    RemoteAddr,
    /// This value, replacing any client value.
    Value(&'a [u8]),
    /// Nothing added; a client value stays as sent (`no_clobber_xff=1`).
    Keep,
}

impl<'a> Builder<'a> {
    /// Starts a request from `sender` (the gateway's sender id) on connection `conn_id`, encoded
    /// as the target handler's `protocol`. Path, method, pattern and remote address are required
    /// before [`Builder::build`]; `URL_SCHEME` defaults to `http`.
    pub fn new(sender: &'a [u8], conn_id: u64, protocol: Protocol) -> Self {
        Builder {
            sender,
            conn_id,
            protocol,
            path: None,
            method: None,
            version: None,
            uri: None,
            query: None,
            fragment: None,
            pattern: None,
            url_scheme: b"http",
            remote_addr: None,
            forwarded_for: ForwardedFor::RemoteAddr,
            headers: Vec::new(),
            extra: Vec::new(),
            body: b"",
            header_count: DEFAULT_HEADER_COUNT,
        }
    }

    /// The raw request path (before `?`/`#`, not decoded), `@name` for a JSON socket, `<tag` for
    /// an XML socket: the frame's PATH field and the `PATH` key.
    pub fn path(mut self, path: &'a [u8]) -> Self {
        self.path = Some(path);
        self
    }

    /// `METHOD`: the request method as sent, or one of the `key::METHOD_*` values.
    pub fn method(mut self, method: &'a [u8]) -> Self {
        self.method = Some(method);
        self
    }

    /// `VERSION` (`HTTP/1.0` / `HTTP/1.1`); leave unset for socket messages.
    pub fn version(mut self, version: &'a [u8]) -> Self {
        self.version = Some(version);
        self
    }

    /// `URI`: path plus `?query` as sent, never the fragment; leave unset for socket messages.
    pub fn uri(mut self, uri: &'a [u8]) -> Self {
        self.uri = Some(uri);
        self
    }

    /// `QUERY`: set iff the request target had a `?` (empty for a bare `?`).
    pub fn query(mut self, query: Option<&'a [u8]>) -> Self {
        self.query = query;
        self
    }

    /// `FRAGMENT`: set iff the request target had a `#` (empty for a bare `#`).
    pub fn fragment(mut self, fragment: Option<&'a [u8]>) -> Self {
        self.fragment = fragment;
        self
    }

    /// `PATTERN`: the matching route's pattern exactly as configured.
    pub fn pattern(mut self, pattern: &'a [u8]) -> Self {
        self.pattern = Some(pattern);
        self
    }

    /// `URL_SCHEME`: `http` (the default) or `https`.
    pub fn url_scheme(mut self, scheme: &'a [u8]) -> Self {
        self.url_scheme = scheme;
        self
    }

    /// `REMOTE_ADDR`: the peer address as text; also the default `x-forwarded-for` value.
    pub fn remote_addr(mut self, addr: &'a [u8]) -> Self {
        self.remote_addr = Some(addr);
        self
    }

    /// Overrides `x-forwarded-for`: `Some(value)` replaces any client value (in the client's
    /// position if it sent one); `None` adds nothing and keeps a client value as sent, like
    /// Mongrel2's `no_clobber_xff=1`. Unset, the REMOTE_ADDR value is used.
    pub fn x_forwarded_for(mut self, value: Option<&'a [u8]>) -> Self {
        self.forwarded_for = value.map_or(ForwardedFor::Keep, ForwardedFor::Value);
        self
    }

    /// One client header line, in arrival order: `name` as sent (lower-cased here), `value`
    /// with leading whitespace already removed and trailing whitespace kept, as Mongrel2 does.
    pub fn header(mut self, name: &'a [u8], value: &'a [u8]) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Several client header lines, in arrival order (see [`Builder::header`]).
    pub fn headers(mut self, lines: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Self {
        self.headers.extend(lines);
        self
    }

    /// One of Mongrel2's own table keys, added after `x-forwarded-for` in call order with
    /// replace semantics: `DOWNLOAD_CREDITS`, `UPLOAD_STREAM`, `UPLOAD_STREAM_DONE`,
    /// `x-mongrel2-upload-start`, `x-mongrel2-upload-done`, `FLAGS` (see [`super::key`]).
    /// Mongrel2 sets them in that order of events: credits at routing, then upload keys.
    pub fn extra(mut self, key: impl Into<Cow<'a, [u8]>>, value: impl Into<Cow<'a, [u8]>>) -> Self {
        self.extra.push((key.into(), value.into()));
        self
    }

    /// A WebSocket message: `METHOD` becomes `WEBSOCKET` and `FLAGS` is set from the frame's
    /// first byte (see [`super::websocket_flags`]); the other parts stay those of the handshake.
    pub fn websocket_frame(self, first_byte: u8) -> Self {
        let flags = super::websocket_flags(first_byte).to_vec();
        self.method(key::METHOD_WEBSOCKET).extra(key::FLAGS, flags)
    }

    /// The body bytes (the `Sec-WebSocket-Accept` value for a handshake message).
    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// Mongrel2's `limits.header_count` (default [`DEFAULT_HEADER_COUNT`]): client headers past
    /// this many keys are dropped.
    pub fn header_count(mut self, count: usize) -> Self {
        self.header_count = count;
        self
    }

    /// Lays the request out in Mongrel2's order for its protocol.
    pub fn build(self) -> Result<Built<'a>, BuildError> {
        field("sender", Some(self.sender))?;
        let meta = Meta {
            path: field("path", self.path)?,
            method: self.method.ok_or(BuildError::Missing("method"))?,
            version: self.version,
            uri: self.uri,
            query: self.query,
            fragment: self.fragment,
            pattern: self.pattern.ok_or(BuildError::Missing("pattern"))?,
            url_scheme: self.url_scheme,
            remote_addr: self.remote_addr.ok_or(BuildError::Missing("remote_addr"))?,
        };
        let (sender, conn_id, body, protocol) =
            (self.sender, self.conn_id, self.body, self.protocol);
        let (table, dropped) = self.fill_table(meta.remote_addr);
        let request = Request {
            sender,
            conn_id,
            path: meta.path,
            headers: meta.layout(protocol, table),
            body,
            protocol,
        };
        Ok(Built { request, dropped })
    }

    /// The header table filled in Mongrel2's order (client lines, `x-forwarded-for`, extras),
    /// its entries in scan order, and the client lines it left out.
    fn fill_table(self, remote_addr: &'a [u8]) -> (Vec<Entry<'a>>, Vec<Dropped<'a>>) {
        let mut table = Table::new(self.header_count);
        let mut dropped = Vec::new();
        for &(name, value) in &self.headers {
            let reason = match table.add(lowercase(name), Cow::Borrowed(value)) {
                Added::Stored => continue,
                Added::TooManyValues => DropReason::TooManyValues,
                Added::TableFull => DropReason::TableFull,
            };
            dropped.push(Dropped {
                name,
                value,
                reason,
            });
        }
        let forwarded_for = match self.forwarded_for {
            ForwardedFor::RemoteAddr => Some(remote_addr),
            ForwardedFor::Value(value) => Some(value),
            ForwardedFor::Keep => None,
        };
        if let Some(value) = forwarded_for {
            table.set(Cow::Borrowed(key::X_FORWARDED_FOR), Cow::Borrowed(value));
        }
        for (name, value) in self.extra {
            table.set(name, value);
        }
        let pairs = table.into_scan_order();
        (pairs, dropped)
    }
}

/// A required byte field that must be non-empty and space-free (sender, path).
fn field<'a>(name: &'static str, value: Option<&'a [u8]>) -> Result<&'a [u8], BuildError> {
    let value = value.ok_or(BuildError::Missing(name))?;
    if value.is_empty() || value.contains(&b' ') {
        return Err(BuildError::BadField { field: name });
    }
    Ok(value)
}

/// A client header name lower-cased (ASCII, as C's `tolower`), borrowed when already lower-case.
fn lowercase(name: &[u8]) -> Cow<'_, [u8]> {
    if name.iter().any(u8::is_ascii_uppercase) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}
