//! Response heads: finding where a head ends, parsing it with `httparse`, and deciding how
//! the body that follows is framed (RFC 9112 §6.3, response side).

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{StatusCode, Version};

use super::{Error, Limits};

/// Digits of the largest `Content-Length` we accept: 19 decimal digits always fit in a `u64`.
const MAX_CONTENT_LENGTH_DIGITS: usize = 19;

/// A parsed response head (status line and header fields), handed to the gateway so it can
/// build the client's response without re-parsing the handler's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// `HTTP/1.0` or `HTTP/1.1`, as the handler wrote it.
    pub version: Version,
    /// The status code (100–999).
    pub status: StatusCode,
    /// The reason phrase as written (empty when absent or not visible ASCII), so custom
    /// phrases can be passed on to HTTP/1 clients.
    pub reason: Bytes,
    /// Header fields in arrival order per name; values share the handler's buffer.
    pub headers: HeaderMap,
}

/// How the body after a final response head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// Exactly this many bytes (`Content-Length`, or 0 for bodiless responses).
    Length(u64),
    /// `Transfer-Encoding: ... chunked`.
    Chunked,
    /// Everything until the handler closes the connection.
    UntilClose,
}

/// Offset just past the blank line ending the head in `buf`, searching from `from` (bytes
/// before it were already searched). Accepts CRLF and bare LF line ends, as `httparse` does.
pub(super) fn find_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.min(buf.len());
    buf[start..]
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .find_map(|(i, _)| {
            let at = start + i;
            match (buf.get(at + 1), buf.get(at + 2)) {
                (Some(b'\n'), _) => Some(at + 2),
                (Some(b'\r'), Some(b'\n')) => Some(at + 3),
                _ => None,
            }
        })
}

/// Where [`find_end`] should resume after finding nothing in `len` bytes: a terminator may
/// start in the last two bytes.
pub(super) fn resume_at(len: usize) -> usize {
    len.saturating_sub(2)
}

/// Header slots on the stack: enough for almost every reply head. A head with more fields is
/// parsed again with [`Limits::max_headers`] slots on the heap.
const STACK_HEADERS: usize = 16;

/// Parses a complete head (`head` ends with the blank line found by [`find_end`]).
pub(super) fn parse(head: &Bytes, limits: &Limits) -> Result<ResponseHead, Error> {
    let mut stack = [httparse::EMPTY_HEADER; STACK_HEADERS];
    if limits.max_headers <= STACK_HEADERS {
        return parse_with(head, limits, &mut stack[..limits.max_headers]);
    }
    match parse_with(head, limits, &mut stack) {
        Err(Error::TooManyHeaders { .. }) => {
            let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
            parse_with(head, limits, &mut slots)
        }
        parsed => parsed,
    }
}

/// [`parse`] with `slots` for the header fields (more fields than slots: `TooManyHeaders`).
fn parse_with<'h>(
    head: &'h Bytes,
    limits: &Limits,
    slots: &mut [httparse::Header<'h>],
) -> Result<ResponseHead, Error> {
    let mut response = httparse::Response::new(slots);
    let status = response.parse(head).map_err(|e| map_httparse(e, limits))?;
    if status.is_partial() {
        return Err(Error::BadStatusLine {
            reason: "head ended before the status line was complete",
        });
    }
    let version = match response.version {
        Some(0) => Version::HTTP_10,
        Some(1) => Version::HTTP_11,
        _ => {
            return Err(Error::BadStatusLine {
                reason: "unsupported HTTP version",
            })
        }
    };
    let status = response
        .code
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or(Error::BadStatusLine {
            reason: "status code out of range",
        })?;
    let reason = response
        .reason
        .map_or_else(Bytes::new, |r| share(head, r.as_bytes()));
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    for field in response.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes()).map_err(|_| Error::BadHeader {
            reason: "invalid field name",
        })?;
        let value = HeaderValue::from_maybe_shared(share(head, field.value)).map_err(|_| {
            Error::BadHeader {
                reason: "invalid field value",
            }
        })?;
        headers.append(name, value);
    }
    Ok(ResponseHead {
        version,
        status,
        reason,
        headers,
    })
}

/// The body framing of a final (non-1xx) response to a non-HEAD request.
pub(super) fn framing(head: &ResponseHead) -> Result<Framing, Error> {
    let status = head.status.as_u16();
    if status == 204 || status == 304 {
        return Ok(Framing::Length(0));
    }
    let length = content_length(&head.headers)?;
    let codings = list_items(&head.headers, &TRANSFER_ENCODING);
    if codings.is_empty() {
        return Ok(length.map_or(Framing::UntilClose, Framing::Length));
    }
    if length.is_some() {
        return Err(Error::ConflictingLength {
            reason: "both Transfer-Encoding and Content-Length are present",
        });
    }
    let chunked = |c: &&[u8]| c.eq_ignore_ascii_case(b"chunked");
    match codings.iter().position(chunked) {
        None => Ok(Framing::UntilClose),
        Some(at) if at + 1 == codings.len() => Ok(Framing::Chunked),
        Some(_) => Err(Error::BadTransferEncoding),
    }
}

/// The `Content-Length`, if any: every value (also comma-separated repeats) must be the same
/// valid decimal number.
fn content_length(headers: &HeaderMap) -> Result<Option<u64>, Error> {
    let mut found = None;
    for item in list_items(headers, &CONTENT_LENGTH) {
        let n = parse_decimal(item).ok_or(Error::BadContentLength)?;
        if found.is_some_and(|seen| seen != n) {
            return Err(Error::ConflictingLength {
                reason: "Content-Length values differ",
            });
        }
        found = Some(n);
    }
    Ok(found)
}

fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > MAX_CONTENT_LENGTH_DIGITS {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let digit = char::from(d).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// The non-empty, whitespace-trimmed elements of every `name` field (RFC 9110 §5.6.1 lists).
fn list_items<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Vec<&'h [u8]> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|item| !item.is_empty())
        .collect()
}

/// `part` as a zero-copy slice of `head` when it points into it, else a copy.
fn share(head: &Bytes, part: &[u8]) -> Bytes {
    let base = head.as_ptr() as usize;
    let start = (part.as_ptr() as usize).wrapping_sub(base);
    match start.checked_add(part.len()) {
        Some(end) if start <= head.len() && end <= head.len() => head.slice(start..end),
        _ => Bytes::copy_from_slice(part),
    }
}

fn map_httparse(error: httparse::Error, limits: &Limits) -> Error {
    match error {
        httparse::Error::TooManyHeaders => Error::TooManyHeaders {
            limit: limits.max_headers,
        },
        httparse::Error::Version => Error::BadStatusLine {
            reason: "invalid HTTP version",
        },
        httparse::Error::Status | httparse::Error::Token => Error::BadStatusLine {
            reason: "invalid status code",
        },
        httparse::Error::HeaderName => Error::BadHeader {
            reason: "invalid field name",
        },
        httparse::Error::HeaderValue => Error::BadHeader {
            reason: "invalid field value",
        },
        httparse::Error::NewLine => Error::BadHeader {
            reason: "invalid line ending",
        },
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<ResponseHead, Error> {
        parse(&Bytes::copy_from_slice(text.as_bytes()), &Limits::default())
    }

    #[test]
    fn finds_the_blank_line_with_crlf_or_bare_lf() {
        assert_eq!(
            find_end(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody", 0),
            Some(25)
        );
        assert_eq!(find_end(b"HTTP/1.1 200 OK\nA: b\n\nbody", 0), Some(22));
        assert_eq!(find_end(b"HTTP/1.1 200 OK\r\nA: b\r\n\r", 0), None);
        assert_eq!(
            find_end(b"HTTP/1.1 200 OK\r\n\r\n", resume_at(17)),
            Some(19)
        );
    }

    #[test]
    fn parses_version_status_reason_and_repeated_fields() {
        let parsed = head("HTTP/1.0 404 Not Here\r\nX-A: 1\r\nx-a: 2\r\n\r\n").unwrap();
        assert_eq!(parsed.version, Version::HTTP_10);
        assert_eq!(parsed.status, StatusCode::NOT_FOUND);
        assert_eq!(parsed.reason, "Not Here");
        let values: Vec<_> = parsed.headers.get_all("x-a").iter().collect();
        assert_eq!(values, ["1", "2"]);
    }

    #[test]
    fn framing_follows_rfc_9112_precedence() {
        let frame = |text: &str| framing(&head(text).unwrap());
        assert_eq!(
            frame("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"),
            Ok(Framing::Length(7))
        );
        assert_eq!(
            frame("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n"),
            Ok(Framing::Length(7))
        );
        assert_eq!(
            frame("HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"),
            Ok(Framing::Length(0))
        );
        assert_eq!(
            frame("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"),
            Ok(Framing::Chunked)
        );
        assert_eq!(
            frame("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Ok(Framing::UntilClose)
        );
        assert_eq!(frame("HTTP/1.1 200 OK\r\n\r\n"), Ok(Framing::UntilClose));
    }

    #[test]
    fn framing_rejects_ambiguous_lengths() {
        let frame = |text: &str| framing(&head(text).unwrap());
        let conflicting = |r| matches!(r, Err(Error::ConflictingLength { .. }));
        assert!(conflicting(frame(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
        )));
        assert!(conflicting(frame(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
        )));
        assert_eq!(
            frame("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
            Err(Error::BadContentLength)
        );
        assert_eq!(
            frame("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"),
            Err(Error::BadContentLength)
        );
        assert_eq!(
            frame("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            Err(Error::BadTransferEncoding)
        );
    }

    #[test]
    fn malformed_heads_are_typed_errors() {
        assert!(matches!(
            head("HTTP/2.0 200 OK\r\n\r\n"),
            Err(Error::BadStatusLine { .. })
        ));
        assert!(matches!(
            head("HTTP/1.1 20 OK\r\n\r\n"),
            Err(Error::BadStatusLine { .. })
        ));
        assert!(matches!(
            head("HTTP/1.1 099 Low\r\n\r\n"),
            Err(Error::BadStatusLine { .. })
        ));
        assert!(matches!(
            head("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"),
            Err(Error::BadHeader { .. })
        ));
        assert!(matches!(
            head("garbage\r\n\r\n"),
            Err(Error::BadStatusLine { .. })
        ));
    }
}
