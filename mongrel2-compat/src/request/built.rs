//! What [`super::Builder::build`] returns: the request, what Mongrel2 would have dropped, or why
//! nothing could be built.

use super::Request;

/// A request laid out by [`super::Builder::build`], and the client header values Mongrel2 would have
/// dropped (it logs them and forwards the request anyway; the caller may log or reject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built<'a> {
    /// The request, headers in wire order for its protocol.
    pub request: Request<'a>,
    /// Client header lines left out, in arrival order.
    pub dropped: Vec<Dropped<'a>>,
}

/// One client header line left out of a built request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped<'a> {
    /// The header name as the client sent it.
    pub name: &'a [u8],
    /// The value that was left out.
    pub value: &'a [u8],
    /// Why.
    pub reason: DropReason,
}

/// Why Mongrel2 leaves a client header line out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The name already had 5 values (`MAX_DUPE_HEADERS`).
    TooManyValues,
    /// The table already held `limits.header_count` keys.
    TableFull,
}

/// A part [`super::Builder::build`] needs is missing or would make the frame unparsable.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum BuildError {
    /// A required part was never set (`"path"`, `"method"`, `"pattern"`, `"remote_addr"`).
    #[error("request builder is missing the {0}")]
    Missing(&'static str),
    /// The sender or path is empty or contains a space, which would break the frame's fields.
    #[error("request {field} must be non-empty and contain no space")]
    BadField {
        /// `"sender"` or `"path"`.
        field: &'static str,
    },
}
