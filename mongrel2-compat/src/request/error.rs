//! Why a request frame could not be decoded.

use crate::{json, tnetstring};

/// Longest excerpt of peer data kept in an error, so a hostile frame cannot make the error (or
/// the log line built from it) large.
const EXCERPT_MAX: usize = 32;

/// A request-frame decode failure, naming the field at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The frame is longer than [`super::Limits::max_frame_len`].
    #[error("request frame of {len} bytes exceeds the cap of {max}")]
    FrameTooLarge {
        /// The frame's length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The SENDER field is empty or not followed by a space.
    #[error("request frame has no SENDER field before the first space")]
    MissingSender,
    /// The CONN_ID field is missing, not decimal digits, or does not fit in 64 bits.
    #[error("request CONN_ID is not an unsigned decimal number: {text:?}")]
    BadConnId {
        /// Excerpt of the field.
        text: String,
    },
    /// The PATH field is empty or not followed by a space.
    #[error("request frame has no PATH field followed by a space")]
    MissingPath,
    /// The HEADERS field is not a well-formed netstring / tnetstring, or is over a cap.
    #[error("request HEADERS field is malformed: {0}")]
    HeadersNetstring(#[source] tnetstring::Error),
    /// The HEADERS field is a tnetstring of a type other than string (JSON) or dict.
    #[error(
        "request HEADERS field must be a JSON netstring or a tnetstring dict, found a {found}"
    )]
    HeadersType {
        /// The tnetstring type found.
        found: &'static str,
    },
    /// The JSON header object does not parse.
    #[error("request HEADERS JSON is malformed: {0}")]
    Json(#[source] json::Error),
    /// A header value is neither a string nor a list of strings.
    #[error("request header {key:?} must be a string or a list of strings")]
    HeaderValueType {
        /// Excerpt of the key.
        key: String,
    },
    /// More header keys than [`super::Limits::max_headers`].
    #[error("request has {count} header keys, more than the cap of {max}")]
    TooManyHeaders {
        /// Keys found.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// The BODY field is not a well-formed netstring.
    #[error("request BODY field is malformed: {0}")]
    BodyNetstring(#[source] tnetstring::Error),
    /// The BODY field is a tnetstring but not a string (`LEN:bytes,`).
    #[error("request BODY must be a netstring, found a tnetstring {found}")]
    BodyType {
        /// The tnetstring type found.
        found: &'static str,
    },
    /// Bytes follow the BODY netstring.
    #[error("{count} unexpected byte(s) after the request BODY")]
    TrailingBytes {
        /// Number of extra bytes.
        count: usize,
    },
}

/// A short, lossily decoded excerpt of peer data for an error message.
pub(super) fn excerpt(data: &[u8]) -> String {
    let cut = data.get(..EXCERPT_MAX).unwrap_or(data);
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if cut.len() < data.len() {
        text.push('…');
    }
    text
}
