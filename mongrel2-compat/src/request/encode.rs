//! The encoder: a [`Request`] back to frame bytes, sizes computed up front so one allocation
//! suffices (but for JSON headers with escapes, rare) and the netstring lengths are known before the
//! payload is written.

use super::{HeaderValue, Headers, Protocol, Request};
use crate::json::{self, ObjectWriter};
use crate::tnetstring;

/// Most decimal digits a `u64` has.
const U64_DIGITS: usize = 20;

/// Appends the whole frame.
///
/// A JSON header object is written in one pass: its netstring prefix is written first for the
/// length the object has without escapes (counted from the lengths alone, no byte scan), and
/// corrected afterwards in the rare case a `"` or `\` made it longer.
pub(super) fn frame(request: &Request<'_>, out: &mut Vec<u8>) {
    let headers_len = match request.protocol {
        Protocol::Json => json_len_unescaped(&request.headers),
        Protocol::Tnetstring => dict_payload_len(&request.headers),
    };
    out.reserve(
        fixed_len(request) + netstring_len(headers_len) + netstring_len(request.body.len()),
    );
    out.extend_from_slice(request.sender);
    out.push(b' ');
    push_decimal(out, request.conn_id);
    out.push(b' ');
    out.extend_from_slice(request.path);
    out.push(b' ');
    let prefix_at = out.len();
    push_len(out, headers_len);
    match request.protocol {
        Protocol::Json => {
            let object_at = out.len();
            let mut writer = ObjectWriter::new(out);
            for (key, value) in request.headers.iter() {
                match value {
                    HeaderValue::One(value) => writer.str(key, value),
                    HeaderValue::Many(values) => writer.list(key, values.iter().map(|v| &v[..])),
                };
            }
            writer.finish();
            let written = out.len() - object_at;
            if written != headers_len {
                let mut prefix = Vec::with_capacity(U64_DIGITS + 1);
                push_len(&mut prefix, written);
                out.splice(prefix_at..object_at, prefix);
            }
            out.push(b',');
        }
        Protocol::Tnetstring => {
            for (key, value) in request.headers.iter() {
                tnetstring::write_str(out, key);
                match value {
                    HeaderValue::One(value) => tnetstring::write_str(out, value),
                    HeaderValue::Many(values) => {
                        push_len(out, values.iter().map(|v| netstring_len(v.len())).sum());
                        for value in values {
                            tnetstring::write_str(out, value);
                        }
                        out.push(b']');
                    }
                }
            }
            out.push(b'}');
        }
    }
    tnetstring::write_str(out, request.body);
}

/// Bytes [`frame`] appends.
pub(super) fn frame_len(request: &Request<'_>) -> usize {
    fixed_len(request) + netstring_len(headers_len(request)) + netstring_len(request.body.len())
}

/// `SENDER SP CONN_ID SP PATH SP`.
fn fixed_len(request: &Request<'_>) -> usize {
    request.sender.len() + 1 + decimal_len(request.conn_id) + 1 + request.path.len() + 1
}

/// The headers' payload length: the JSON text (escapes counted), or the tnetstring dict's payload.
fn headers_len(request: &Request<'_>) -> usize {
    match request.protocol {
        Protocol::Json => json_len(&request.headers),
        Protocol::Tnetstring => dict_payload_len(&request.headers),
    }
}

/// Length of the JSON object text: braces, `"key":value` pairs and the commas between them.
fn json_len(headers: &Headers<'_>) -> usize {
    json_len_with(headers, json::str_len)
}

/// [`json_len`] if no key or value held a byte to escape: from the lengths alone.
fn json_len_unescaped(headers: &Headers<'_>) -> usize {
    json_len_with(headers, |s| s.len() + 2)
}

fn json_len_with(headers: &Headers<'_>, str_len: impl Fn(&[u8]) -> usize) -> usize {
    let pairs: usize = headers
        .iter()
        .map(|(key, value)| {
            let value = match value {
                HeaderValue::One(value) => str_len(value),
                HeaderValue::Many(values) => {
                    2 + values.iter().map(|v| str_len(v)).sum::<usize>()
                        + values.len().saturating_sub(1)
                }
            };
            str_len(key) + 1 + value
        })
        .sum();
    2 + pairs + headers.len().saturating_sub(1)
}

/// Length of the tnetstring dict's payload (between `LEN:` and `}`).
fn dict_payload_len(headers: &Headers<'_>) -> usize {
    headers
        .iter()
        .map(|(key, value)| {
            netstring_len(key.len())
                + match value {
                    HeaderValue::One(value) => netstring_len(value.len()),
                    HeaderValue::Many(values) => {
                        netstring_len(values.iter().map(|v| netstring_len(v.len())).sum())
                    }
                }
        })
        .sum()
}

/// Size of `LEN:` + data + terminator for data of `len` bytes.
fn netstring_len(len: usize) -> usize {
    decimal_len(len as u64) + 1 + len + 1
}

/// Number of decimal digits of `n`.
fn decimal_len(mut n: u64) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

/// Appends `len:`.
fn push_len(out: &mut Vec<u8>, len: usize) {
    push_decimal(out, len as u64);
    out.push(b':');
}

/// Appends `n` in decimal without allocating.
pub(super) fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; U64_DIGITS];
    let mut start = U64_DIGITS;
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
