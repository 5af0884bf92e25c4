//! Handler → server reply messages: `UUID SP LEN ':' ['X' SP] ids ',' SP BODY`.
//!
//! The grammar is Mongrel2's `handler_parser.rl` exactly (docs/mongrel2-protocol.md §3.1): the UUID
//! is `[A-Za-z0-9-]+`; ids are decimal, separated by one space, with an optional trailing space and
//! leading zeros allowed; `LEN` must equal the byte length of `[X ]ids`; there must be 1 to
//! [`MAX_IDS`] ids and a space after the `,`. Everything after that space is the body: empty means
//! close the connections, and after `X ` it is one tnetstring list `[key, value]`
//! ([`Extended`], with `ctl` decoded into [`Ctl`]). Mongrel2 silently drops a frame that breaks
//! any rule; [`parse`] names the rule in its [`Error`] so the caller can log it and drop the frame.
//!
//! The encoders write what Mongrel2's Python `handler.py` writes, so [`encode`] of a parsed reply
//! gives back the same bytes whenever its ids were written canonically (no leading zeros, no
//! trailing space).
//!
//! ```
//! use mongrel2_compat::reply::{self, Kind};
//!
//! let frame = b"34f9ceee-cd52-4b7f-b197-88bf2f0ec378 5:16 17, HTTP/1.1 200 OK\r\n\r\n";
//! let reply = reply::parse(frame).unwrap();
//! assert_eq!(reply.ids, [16, 17]);
//! assert_eq!(reply.kind, Kind::Data(b"HTTP/1.1 200 OK\r\n\r\n"));
//!
//! let mut out = Vec::new();
//! reply::encode(reply.uuid, &reply.ids, b"HTTP/1.1 200 OK\r\n\r\n", &mut out);
//! assert_eq!(out, frame);
//! ```

mod extended;
mod parse;

pub use extended::{encode_ctl, encode_extended, Ctl, Extended};

use crate::tnetstring;

/// Default cap on ids in one reply: Mongrel2's `limits.handler_targets` default. 128 ids are
/// accepted, 129 make the whole message invalid (captured). Raise it with [`parse_with`].
pub const MAX_IDS: usize = 128;

/// One parsed reply. Borrows the UUID and body from the frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<'a> {
    /// The UUID field. Mongrel2 compares it with nothing (only its SUB prefix filter sees it,
    /// see [`passes_subscription`]); Scale0's broker routes on it.
    pub uuid: &'a [u8],
    /// The target connection ids in order; duplicates are kept (Mongrel2 then writes twice).
    pub ids: Vec<u64>,
    /// What to do to each target.
    pub kind: Kind<'a>,
}

/// What a reply asks the server to do to each of its target connections.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'a> {
    /// Write these bytes to the client verbatim (never empty).
    Data(&'a [u8]),
    /// Empty body: flush what is queued, then close the connection (no disconnect notice follows).
    Close,
    /// `X` reply: a control or plugin message instead of bytes for the client.
    Extended(Extended<'a>),
}

/// Why a frame is not a valid reply. Mongrel2 drops such frames without a word; the variants say
/// which part of the frame broke which rule, with byte offsets into the frame.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum Error {
    /// The frame ends before the named part is complete.
    #[error("reply ends inside the {field}")]
    Truncated {
        /// "UUID", "id-list length", "id list" or "space after ','".
        field: &'static str,
    },
    /// The frame starts with a space: the UUID is empty.
    #[error("reply UUID is empty")]
    UuidEmpty,
    /// A UUID byte outside `[A-Za-z0-9-]` (e.g. `_`), or the UUID not followed by a space.
    #[error("reply UUID has byte {:?} at offset {offset}; only A-Z a-z 0-9 - and then a space are allowed", found.escape_ascii().to_string())]
    UuidByte {
        /// Offset of the byte in the frame.
        offset: usize,
        /// The byte.
        found: u8,
    },
    /// The id-list length does not start with a digit.
    #[error("reply id-list length must start with a digit, found {:?}", found.escape_ascii().to_string())]
    LengthNotDigit {
        /// The byte found.
        found: u8,
    },
    /// The id-list length digits are followed by something other than `:`.
    #[error("reply id-list length must be followed by ':', found {:?}", found.escape_ascii().to_string())]
    LengthColon {
        /// The byte found.
        found: u8,
    },
    /// The id-list length does not fit in a `usize`, so it cannot match any id list.
    #[error("reply id-list length overflows")]
    LengthOverflow,
    /// A byte in the id list that the grammar does not allow there: a second space, a comma
    /// before the end, a letter, an `X` not at the start or not followed by a space.
    #[error("reply id list has byte {:?} at offset {offset}", found.escape_ascii().to_string())]
    IdsByte {
        /// Offset of the byte in the frame.
        offset: usize,
        /// The byte.
        found: u8,
    },
    /// An id too large for 64 bits.
    #[error("reply id at offset {offset} does not fit in 64 bits")]
    IdOverflow {
        /// Offset of the id's first digit in the frame.
        offset: usize,
    },
    /// More ids than the cap (`limits.handler_targets`); checked before each id is stored.
    #[error("reply has more than {max} ids")]
    TooManyIds {
        /// The cap.
        max: usize,
    },
    /// `LEN` differs from the byte length of `[X ]ids` (also how comma-separated ids fail).
    #[error("reply id list is {actual} bytes but its length prefix says {declared}")]
    LengthMismatch {
        /// The length the frame declared.
        declared: usize,
        /// The length of the id list actually found before the `,`.
        actual: usize,
    },
    /// The `,` after the ids is not followed by a space.
    #[error("reply needs a space after the id list's ',', found {:?}", found.escape_ascii().to_string())]
    MissingSpace {
        /// The byte found.
        found: u8,
    },
    /// The id list is empty (`0:,`).
    #[error("reply has no ids")]
    NoIds,
    /// An `X` reply whose body is not a tnetstring.
    #[error("extended reply body is not a tnetstring: {0}")]
    ExtendedBody(#[source] tnetstring::Error),
    /// An `X` reply whose body has bytes after its tnetstring.
    #[error("extended reply body has {count} byte(s) after its tnetstring")]
    ExtendedTrailing {
        /// How many.
        count: usize,
    },
    /// An `X` reply whose body is not a list of exactly two elements.
    #[error("extended reply body must be a 2-element list, found {found}")]
    ExtendedShape {
        /// What was found: a type name, or e.g. "list of 3".
        found: String,
    },
    /// An `X` reply whose first list element is not a string.
    #[error("extended reply key must be a string, found {found}")]
    ExtendedKey {
        /// The type found.
        found: &'static str,
    },
    /// A `ctl` reply whose value is not a dict.
    #[error("ctl value must be a dict, found {found}")]
    CtlNotDict {
        /// The type found.
        found: &'static str,
    },
    /// A `ctl` reply whose `credits` is not a tnetstring integer.
    #[error("ctl credits must be a tnetstring integer, found {found}")]
    CreditsNotInteger {
        /// The type found.
        found: &'static str,
    },
}

/// Parses one reply frame with the default cap of [`MAX_IDS`] ids.
pub fn parse(frame: &[u8]) -> Result<Reply<'_>, Error> {
    parse_with(frame, MAX_IDS)
}

/// Parses one reply frame accepting at most `max_ids` ids (Mongrel2's `limits.handler_targets`).
pub fn parse_with(frame: &[u8], max_ids: usize) -> Result<Reply<'_>, Error> {
    let head = parse::head(frame, max_ids)?;
    let kind = if head.extended {
        Kind::Extended(extended::parse_body(head.body)?)
    } else if head.body.is_empty() {
        Kind::Close
    } else {
        Kind::Data(head.body)
    };
    Ok(Reply {
        uuid: head.uuid,
        ids: head.ids,
        kind,
    })
}

/// Whether a frame gets through Mongrel2's SUB socket subscribed to `recv_ident`: a plain byte
/// prefix test over the whole frame, applied before parsing (an empty `recv_ident` passes all).
pub fn passes_subscription(frame: &[u8], recv_ident: &[u8]) -> bool {
    frame.starts_with(recv_ident)
}

/// Appends a reply frame as Mongrel2's Python library formats it:
/// `"%s %d:%s, %s" % (uuid, len(ids), ids, body)` with ids joined by single spaces. An empty body
/// is the close command. Mongrel2 drops a frame with no ids, so pass at least one.
pub fn encode(uuid: &[u8], ids: &[u64], body: &[u8], out: &mut Vec<u8>) {
    write_head(uuid, false, ids, out);
    out.extend_from_slice(body);
}

/// Appends `UUID LEN:[X ]ids, `, everything before the body.
fn write_head(uuid: &[u8], extended: bool, ids: &[u64], out: &mut Vec<u8>) {
    let separators = ids.len().saturating_sub(1);
    let digits: usize = ids.iter().map(|&id| decimal_len(id)).sum();
    let list_len = if extended { 2 } else { 0 } + digits + separators;
    out.extend_from_slice(uuid);
    out.push(b' ');
    push_decimal(out, list_len as u64);
    out.push(b':');
    if extended {
        out.extend_from_slice(b"X ");
    }
    for (i, &id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        push_decimal(out, id);
    }
    out.extend_from_slice(b", ");
}

/// Number of decimal digits of `n`.
fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// Appends `n` in decimal without allocating.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[start..]);
}

#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod tests;
