//! The decoder: frame fields, then the headers in whichever protocol they use, then the body.

use std::borrow::Cow;

use super::error::excerpt;
use super::{Error, HeaderValue, Headers, Limits, Protocol, Request};
use crate::json::{self, JsonValue};
use crate::tnetstring::{self, Value};

/// Most digits a CONN_ID may have: `u64::MAX` has 20.
const MAX_CONN_ID_DIGITS: usize = 20;

/// Nesting the headers may use: a dict (1) of lists (2) of strings.
const HEADERS_DEPTH: usize = 2;

/// Decodes one request frame with the default [`Limits`]. The headers' form is detected from the
/// HEADERS field's tnetstring tag: `,` (a string holding JSON) or `}` (a tnetstring dict).
pub fn decode(frame: &[u8]) -> Result<Request<'_>, Error> {
    decode_with(frame, &Limits::default())
}

/// Decodes one request frame, checking each cap of `limits` before parsing the part it guards.
/// The whole frame must be consumed: bytes after the BODY netstring are an error.
pub fn decode_with<'a>(frame: &'a [u8], limits: &Limits) -> Result<Request<'a>, Error> {
    if frame.len() > limits.max_frame_len {
        return Err(Error::FrameTooLarge {
            len: frame.len(),
            max: limits.max_frame_len,
        });
    }
    let (sender, rest) = split_field(frame).ok_or(Error::MissingSender)?;
    let (id_text, rest) = split_field(rest).ok_or_else(|| {
        let word = rest.split(|&b| b == b' ').next().unwrap_or_default();
        Error::BadConnId {
            text: excerpt(word),
        }
    })?;
    let conn_id = conn_id(id_text)?;
    let (path, rest) = split_field(rest).ok_or(Error::MissingPath)?;

    let header_limits = tnetstring::Limits {
        max_len_digits: tnetstring::MAX_LEN_DIGITS,
        max_size: limits.max_headers_len,
        max_depth: HEADERS_DEPTH,
    };
    let (value, rest) =
        tnetstring::parse_with(rest, &header_limits).map_err(Error::HeadersNetstring)?;
    let (protocol, headers) = match value {
        Value::Str(text) => (Protocol::Json, json_headers(text, limits)?),
        Value::Dict(pairs) => (Protocol::Tnetstring, tnetstring_headers(pairs, limits)?),
        other => {
            return Err(Error::HeadersType {
                found: other.type_name(),
            })
        }
    };

    let body_limits = tnetstring::Limits {
        max_size: limits.max_frame_len,
        max_depth: HEADERS_DEPTH,
        ..header_limits
    };
    let (value, rest) = tnetstring::parse_with(rest, &body_limits).map_err(Error::BodyNetstring)?;
    let Value::Str(body) = value else {
        return Err(Error::BodyType {
            found: value.type_name(),
        });
    };
    if !rest.is_empty() {
        return Err(Error::TrailingBytes { count: rest.len() });
    }
    Ok(Request {
        sender,
        conn_id,
        path,
        headers,
        body,
        protocol,
    })
}

/// Splits a non-empty field off at the first space: `(field, after the space)`.
fn split_field(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = input.iter().position(|&b| b == b' ')?;
    (space > 0).then(|| (&input[..space], &input[space + 1..]))
}

/// Parses CONN_ID: 1-20 ASCII digits that fit in a `u64` (leading zeros tolerated).
fn conn_id(text: &[u8]) -> Result<u64, Error> {
    let bad = || Error::BadConnId {
        text: excerpt(text),
    };
    if text.len() > MAX_CONN_ID_DIGITS || !text.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    text.iter()
        .try_fold(0u64, |acc, &digit| {
            acc.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        })
        .ok_or_else(bad)
}

/// The JSON header object: strings and arrays of strings only.
fn json_headers<'a>(text: &'a [u8], limits: &Limits) -> Result<Headers<'a>, Error> {
    let object = json::parse_object(text).map_err(Error::Json)?;
    check_count(object.len(), limits)?;
    object
        .into_iter()
        .map(|(key, value)| match value {
            JsonValue::Str(value) => Ok((key, HeaderValue::One(value))),
            JsonValue::List(values) => Ok((key, HeaderValue::Many(values))),
            JsonValue::Other(_) => Err(Error::HeaderValueType { key: excerpt(&key) }),
        })
        .collect()
}

/// The tnetstring header dict: string values and lists of strings only.
fn tnetstring_headers<'a>(
    pairs: Vec<(&'a [u8], Value<'a>)>,
    limits: &Limits,
) -> Result<Headers<'a>, Error> {
    check_count(pairs.len(), limits)?;
    pairs
        .into_iter()
        .map(|(key, value)| {
            let bad = || Error::HeaderValueType { key: excerpt(key) };
            let value = match value {
                Value::Str(value) => HeaderValue::One(Cow::Borrowed(value)),
                Value::List(items) => HeaderValue::Many(
                    items
                        .into_iter()
                        .map(|item| item.as_bytes().map(Cow::Borrowed).ok_or_else(bad))
                        .collect::<Result<_, _>>()?,
                ),
                _ => return Err(bad()),
            };
            Ok((Cow::Borrowed(key), value))
        })
        .collect()
}

/// Enforces [`Limits::max_headers`].
fn check_count(count: usize, limits: &Limits) -> Result<(), Error> {
    if count > limits.max_headers {
        return Err(Error::TooManyHeaders {
            count,
            max: limits.max_headers,
        });
    }
    Ok(())
}
