//! Just enough of the Mongrel2 message formats for the broker: the prefix of a request message (sender,
//! connection id, header format), the prefix of a reply (UUID and connection ids), and the disconnect notice.
//!
//! The broker never parses headers or bodies: it routes replies by UUID and needs conn ids only to know
//! which requests a reply has "started" (no longer safe to retry). Full codecs live in `mongrel2-compat`;
//! this file stays a prefix scanner so the hot path does no more work than a few `memchr`-like scans.

use bytes::Bytes;

use crate::protocol::{validate_sender_id, MAX_SENDER_ID_LEN};

/// Most connection ids one reply may name (Mongrel2's `limits.handler_targets`).
pub(crate) const MAX_REPLY_IDS: usize = 128;

/// Most digits in a conn id or netstring length (`u32::MAX` has 10).
const MAX_NUMBER_DIGITS: usize = 10;

/// The field of a Mongrel2 message prefix that could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Mongrel2 message prefix: bad {field}")]
pub(crate) struct PrefixError {
    /// The field at fault.
    pub(crate) field: &'static str,
}

/// How the request's headers were encoded, which decides the shape of its disconnect notice.
pub(crate) use mongrel2_compat::request::Protocol as HeaderFormat;

/// The prefix of a Mongrel2 request message: `SENDER SP CONN_ID SP PATH SP HEADERS ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestHead<'a> {
    /// The gateway's sender id.
    pub(crate) sender: &'a [u8],
    /// The client connection id.
    pub(crate) conn_id: u32,
    /// JSON or tnetstring headers.
    pub(crate) format: HeaderFormat,
}

/// Reads the prefix of a request message built by a gateway.
pub(crate) fn request_head(payload: &[u8]) -> Result<RequestHead<'_>, PrefixError> {
    let (sender, rest) = split_space(payload, MAX_SENDER_ID_LEN, "sender")?;
    validate_sender_id(sender).map_err(|_| PrefixError { field: "sender" })?;
    let (conn, rest) = split_space(rest, MAX_NUMBER_DIGITS, "conn id")?;
    let conn_id = number(conn).ok_or(PrefixError { field: "conn id" })?;
    let path_end = rest
        .iter()
        .position(|&b| b == b' ')
        .ok_or(PrefixError { field: "path" })?;
    if path_end == 0 {
        return Err(PrefixError { field: "path" });
    }
    let headers = rest.get(path_end + 1..).unwrap_or_default();
    let colon = headers
        .iter()
        .take(MAX_NUMBER_DIGITS + 1)
        .position(|&b| b == b':');
    let colon = colon.ok_or(PrefixError {
        field: "headers length",
    })?;
    number(&headers[..colon]).ok_or(PrefixError {
        field: "headers length",
    })?;
    let format = match headers.get(colon + 1) {
        Some(b'{') => HeaderFormat::Json,
        _ => HeaderFormat::Tnetstring,
    };
    Ok(RequestHead {
        sender,
        conn_id,
        format,
    })
}

/// The prefix of a Mongrel2 reply message: `UUID SP LEN ':' [X SP] ids ',' SP BODY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReplyHead<'a> {
    /// The UUID: the sender id of the gateway the reply goes to.
    pub(crate) uuid: &'a [u8],
    /// The id list text, when the netstring around it is well formed.
    ids: Option<&'a [u8]>,
}

impl<'a> ReplyHead<'a> {
    /// The connection ids the reply targets, or `None` when the list is malformed (more than
    /// [`MAX_REPLY_IDS`], not decimal, two spaces...). The gateway drops such replies; the broker then
    /// assumes the worst about which requests it touched.
    pub(crate) fn conn_ids(&self) -> Option<impl Iterator<Item = u32> + 'a> {
        let ids = self.ids?;
        let ids = ids.strip_prefix(b"X ").unwrap_or(ids);
        let ids = ids.strip_suffix(b" ").unwrap_or(ids);
        let mut count = 0usize;
        for id in ids.split(|&b| b == b' ') {
            number(id)?;
            count += 1;
        }
        if count > MAX_REPLY_IDS {
            return None;
        }
        Some(ids.split(|&b| b == b' ').filter_map(number))
    }
}

/// Reads the UUID (and, if well formed, the id list) of a reply a worker sent.
pub(crate) fn reply_head(reply: &[u8]) -> Result<ReplyHead<'_>, PrefixError> {
    let (uuid, rest) = split_space(reply, MAX_SENDER_ID_LEN, "uuid")?;
    validate_sender_id(uuid).map_err(|_| PrefixError { field: "uuid" })?;
    Ok(ReplyHead {
        uuid,
        ids: id_list(rest),
    })
}

fn id_list(rest: &[u8]) -> Option<&[u8]> {
    let colon = rest
        .iter()
        .take(MAX_NUMBER_DIGITS + 1)
        .position(|&b| b == b':')?;
    let len = usize::try_from(number(&rest[..colon])?).ok()?;
    let start = colon.checked_add(1)?;
    let end = start.checked_add(len)?;
    match rest.get(end..end.checked_add(2)?) {
        Some(b", ") => rest.get(start..end),
        _ => None,
    }
}

/// Builds the notice Mongrel2 sends a handler when a client connection goes away, in the request's format
/// (`SENDER SP ID SP @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},` for JSON).
pub(crate) fn disconnect_notice(sender: &[u8], conn_id: u32, format: HeaderFormat) -> Bytes {
    let mut notice = Vec::new();
    mongrel2_compat::request::encode_disconnect(sender, u64::from(conn_id), format, &mut notice);
    Bytes::from(notice)
}

/// Splits at the first space, which must come within `max + 1` bytes and not first.
fn split_space<'a>(
    bytes: &'a [u8],
    max: usize,
    field: &'static str,
) -> Result<(&'a [u8], &'a [u8]), PrefixError> {
    match bytes.iter().take(max + 1).position(|&b| b == b' ') {
        Some(at) if at > 0 => Ok((&bytes[..at], &bytes[at + 1..])),
        _ => Err(PrefixError { field }),
    }
}

/// A decimal `u32` of 1..=10 digits (leading zeros allowed, as Mongrel2 does), with checked arithmetic.
fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > MAX_NUMBER_DIGITS {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        acc.checked_mul(10)?.checked_add(u32::from(digit))
    })
}

#[cfg(test)]
mod tests;
