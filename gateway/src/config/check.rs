//! Field-level checks shared by the sections: each takes the field's path for the error message and
//! the raw value, and returns the typed value or an [`Error`] naming that field.

use std::time::Duration;

use super::duration::{parse_duration, parse_size};
use super::endpoint::Endpoint;
use super::limits::MAX_IDENT_BYTES;
use super::raw::RawSize;
use super::Error;

/// The path of `key` inside `scope`, as error messages print it.
pub(crate) fn field(scope: &str, key: &str) -> String {
    format!("{scope}.{key}")
}

/// Whether a zero duration is meaningful for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zero {
    /// `"0s"` is accepted (e.g. no shutdown grace).
    Allowed,
    /// `"0s"` is rejected (a zero deadline would fail every request).
    Rejected,
}

/// A duration field, or `default` when absent.
pub(crate) fn duration(
    field: String,
    value: Option<&String>,
    default: Duration,
    zero: Zero,
) -> Result<Duration, Error> {
    let Some(value) = value else {
        return Ok(default);
    };
    let reason = match parse_duration(value) {
        Ok(parsed) if parsed.is_zero() && zero == Zero::Rejected => "must not be zero",
        Ok(parsed) => return Ok(parsed),
        Err(reason) => reason,
    };
    Err(Error::Duration {
        field,
        value: value.clone(),
        reason,
    })
}

/// A size field in bytes, `1..=max`, or `default` when absent.
pub(crate) fn size(
    field: String,
    value: Option<&RawSize>,
    default: u64,
    max: u64,
) -> Result<u64, Error> {
    let bytes = match value {
        None => return Ok(default),
        Some(RawSize::Bytes(bytes)) => *bytes,
        Some(RawSize::Text(text)) => parse_size(text).map_err(|reason| Error::Size {
            field: field.clone(),
            value: text.clone(),
            reason,
        })?,
    };
    range(field, bytes, 1, max)
}

/// A count field, `min..=max`, or `default` when absent.
pub(crate) fn count(
    field: String,
    value: Option<u64>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, Error> {
    range(field, value.unwrap_or(default), min, max)
}

/// Checks `value` is within `min..=max`.
fn range(field: String, value: u64, min: u64, max: u64) -> Result<u64, Error> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

/// Converts a checked count to `usize` (every cap fits in 32 bits).
pub(crate) fn to_usize(field: String, value: u64) -> Result<usize, Error> {
    usize::try_from(value).map_err(|_| Error::OutOfRange {
        field,
        value,
        min: 0,
        max: u64::try_from(usize::MAX).unwrap_or(u64::MAX),
    })
}

/// An identity sent on the wire (sender id, `send_ident`, `recv_ident`): `[A-Za-z0-9-]`, the
/// characters Mongrel2 accepts in a reply's UUID, at most [`MAX_IDENT_BYTES`].
pub(crate) fn ident(field: String, value: &str, allow_empty: bool) -> Result<String, Error> {
    let reason = if value.is_empty() && !allow_empty {
        "must not be empty"
    } else if value.len() > MAX_IDENT_BYTES {
        "longer than 128 bytes"
    } else if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        "may only contain A-Z, a-z, 0-9 and '-' (the characters of a Mongrel2 reply UUID)"
    } else {
        return Ok(value.to_owned());
    };
    Err(invalid(field, value, reason))
}

/// A non-empty string without control characters, at most `max` bytes.
pub(crate) fn text(field: String, value: &str, max: usize) -> Result<String, Error> {
    let reason = if value.is_empty() {
        "must not be empty"
    } else if value.len() > max {
        "too long"
    } else if value.chars().any(char::is_control) {
        "contains control characters"
    } else {
        return Ok(value.to_owned());
    };
    Err(invalid(field, value, reason))
}

/// A ZeroMQ endpoint.
pub(crate) fn endpoint(field: String, value: &str) -> Result<Endpoint, Error> {
    Endpoint::parse(value).map_err(|reason| Error::Endpoint {
        field,
        value: value.to_owned(),
        reason,
    })
}

/// Builds an [`Error::Invalid`].
pub(crate) fn invalid(field: String, value: &str, reason: &'static str) -> Error {
    Error::Invalid {
        field,
        value: value.to_owned(),
        reason,
    }
}

/// Fails with [`Error::TooMany`] when a list is longer than its cap.
pub(crate) fn at_most(field: &str, count: usize, max: usize) -> Result<(), Error> {
    if count > max {
        return Err(Error::TooMany {
            field: field.to_owned(),
            count,
            max,
        });
    }
    Ok(())
}
