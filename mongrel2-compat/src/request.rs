//! Request messages (Mongrel2 → handler): `SENDER SP CONN_ID SP PATH SP HEADERS BODY`.
//!
//! `HEADERS` is a netstring holding a JSON object (`protocol='json'`) or a tnetstring dict
//! (`protocol='tnetstring'`); `BODY` is always a netstring. [`decode`] reads either form (it
//! tells them apart by the headers' type tag) into a [`Request`] that borrows from the frame, and
//! [`Request::encode`] writes it back byte for byte, header order included, so a decoded
//! Mongrel2 frame re-encodes to the identical bytes.
//!
//! [`Builder`] produces what Mongrel2 itself would send for an HTTP request: header names
//! lower-cased, repeats merged into arrays (at most 5 values), and the keys in Mongrel2's
//! hash-table order (see `order.rs`). [`encode_disconnect`], [`encode_credits`] and
//! [`encode_upload_piece`] write the notices and upload-stream pieces of docs §4.
//!
//! ```
//! use mongrel2_compat::request::{self, Builder, Protocol};
//!
//! let built = Builder::new(b"34f9ceee-cd52-4b7f-b197-88bf2f0ec378", 1, Protocol::Json)
//!     .method(b"GET")
//!     .path(b"/hello")
//!     .version(b"HTTP/1.1")
//!     .uri(b"/hello")
//!     .pattern(b"/")
//!     .remote_addr(b"127.0.0.1")
//!     .header(b"Host", b"localhost")
//!     .build()
//!     .unwrap();
//! let frame = built.request.to_vec();
//! assert_eq!(
//!     frame,
//!     &b"34f9ceee-cd52-4b7f-b197-88bf2f0ec378 1 /hello 177:{\"PATH\":\"/hello\",\
//! \"x-forwarded-for\":\"127.0.0.1\",\"host\":\"localhost\",\"METHOD\":\"GET\",\
//! \"VERSION\":\"HTTP/1.1\",\"URI\":\"/hello\",\"PATTERN\":\"/\",\"URL_SCHEME\":\"http\",\
//! \"REMOTE_ADDR\":\"127.0.0.1\"},0:,"[..]
//! );
//! let decoded = request::decode(&frame).unwrap();
//! assert_eq!(decoded.headers.get_str(b"host"), Some("localhost"));
//! assert_eq!(decoded, built.request);
//! ```

mod builder;
#[cfg(test)]
mod builder_tests;
mod built;
mod decode;
mod encode;
mod error;
mod headers;
pub mod key;
mod layout;
mod notice;
mod order;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod tests;

pub use builder::{Builder, DEFAULT_HEADER_COUNT};
pub use built::{BuildError, Built, DropReason, Dropped};
pub use decode::{decode, decode_with};
pub use error::Error;
pub use headers::{HeaderValue, Headers};
pub use notice::{encode_credits, encode_disconnect, encode_upload_piece, websocket_flags};

/// Default cap on a whole request frame: 64 MiB plus 1 MiB of headers. Mongrel2 sends bodies
/// above `limits.content_length` (20 KiB by default) through a temp file, so real frames are
/// far smaller; the cap stops a peer from making us walk a gigabyte.
pub const MAX_FRAME_LEN: usize = 65 * 1024 * 1024;

/// Default cap on the declared length of the `HEADERS` netstring: 1 MiB. Mongrel2's request head
/// fits in `limits.buffer_size` (4 KiB); escaping and its own keys add little.
pub const MAX_HEADERS_LEN: usize = 1024 * 1024;

/// Default cap on the number of header keys: [`crate::json::MAX_KEYS`], for both protocols.
pub const MAX_HEADERS: usize = crate::json::MAX_KEYS;

/// Which encoding the `HEADERS` field uses: the handler's `protocol` setting in Mongrel2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// `protocol='json'` (Mongrel2's default): a netstring holding a JSON object.
    #[default]
    Json,
    /// `protocol='tnetstring'`: a tnetstring dict, keys in Mongrel2's reversed order.
    Tnetstring,
}

/// Caps applied by [`decode_with`], all checked before the part they guard is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame accepted at all.
    pub max_frame_len: usize,
    /// Largest declared length of the `HEADERS` netstring/dict.
    pub max_headers_len: usize,
    /// Most header keys.
    pub max_headers: usize,
}

impl Default for Limits {
    /// [`MAX_FRAME_LEN`], [`MAX_HEADERS_LEN`] and [`MAX_HEADERS`].
    fn default() -> Self {
        Limits {
            max_frame_len: MAX_FRAME_LEN,
            max_headers_len: MAX_HEADERS_LEN,
            max_headers: MAX_HEADERS,
        }
    }
}

/// One request message. Byte fields borrow from the decoded frame (or from the builder's
/// inputs); header keys and values are borrowed unless unescaping had to copy them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// The `send_ident` of the handler config (Mongrel2) or the gateway's sender id (Scale0);
    /// replies must address it. Never empty, never contains a space.
    pub sender: &'a [u8],
    /// The connection id replies are addressed to (Mongrel2 uses 32-bit ids).
    pub conn_id: u64,
    /// The frame's PATH field: the raw request path, `@name` (JSON socket), `<tag` (XML socket)
    /// or `@*` (notices). Never empty, never contains a space.
    pub path: &'a [u8],
    /// The header keys and values in wire order.
    pub headers: Headers<'a>,
    /// The body bytes (raw, whatever the protocol).
    pub body: &'a [u8],
    /// How `headers` is encoded on the wire.
    pub protocol: Protocol,
}

impl<'a> Request<'a> {
    /// Appends the frame to `out`: `SENDER SP CONN_ID SP PATH SP HEADERS BODY`, headers in
    /// their stored order in the form `protocol` names. The caller keeps `sender` and `path` free
    /// of spaces (as [`decode`] and [`Builder`] guarantee); otherwise the frame cannot be split.
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode::frame(self, out);
    }

    /// The encoded frame in a new buffer of exactly the right size (the encoder reserves it).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// The bytes [`Request::encode`] appends, computed without encoding.
    pub fn encoded_len(&self) -> usize {
        encode::frame_len(self)
    }

    /// The `METHOD` key's (first) value: an HTTP method, `JSON`, `XML`, `WEBSOCKET_HANDSHAKE` or
    /// `WEBSOCKET`. `None` for upload-stream pieces, which carry no METHOD.
    pub fn method(&self) -> Option<&[u8]> {
        self.headers.get(key::METHOD).map(HeaderValue::first)
    }

    /// Whether this is a notice (PATH `@*`): a disconnect or a credits message.
    pub fn is_notice(&self) -> bool {
        self.path == key::NOTICE_PATH
    }
}
