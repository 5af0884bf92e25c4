//! Field-level helpers shared by both codecs: the envelope (delimiter, protocol id, command byte), a frame
//! reader that names missing fields, capped decimal numbers and validated names.

use std::borrow::Borrow;
use std::fmt;

use bytes::Bytes;

use super::{Error, MAX_DECIMAL_DIGITS, MAX_ENDPOINT_LEN, MAX_SENDER_ID_LEN, MAX_SERVICE_NAME_LEN};

/// A validated service name: 1..=[`MAX_SERVICE_NAME_LEN`] bytes of `A-Z a-z 0-9 . _ - : /`.
///
/// Validated once where it enters (READY, SUBMIT, config) so the engine's tables hold only sane keys and
/// names can be printed in logs and `scale0 ctl status` without escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceName(Box<str>);

impl ServiceName {
    /// Validates `bytes` as a service name.
    pub fn new(bytes: &[u8]) -> Result<Self, Error> {
        let text = validate_service_name(bytes)?;
        Ok(ServiceName(text.into()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for ServiceName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a service name without allocating and returns it as text (the charset is ASCII).
pub(crate) fn validate_service_name(bytes: &[u8]) -> Result<&str, Error> {
    const FIELD: &str = "service name";
    check_len(FIELD, bytes, MAX_SERVICE_NAME_LEN)?;
    let allowed =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'/');
    check_bytes(FIELD, bytes, allowed)?;
    std::str::from_utf8(bytes).map_err(|e| bad_byte(FIELD, bytes, e.valid_up_to()))
}

/// Checks a gateway sender id: 1..=[`MAX_SENDER_ID_LEN`] bytes of `A-Z a-z 0-9 -`, the characters the
/// Mongrel2 reply grammar allows in the UUID field (anything else would make every reply unroutable).
pub fn validate_sender_id(bytes: &[u8]) -> Result<(), Error> {
    const FIELD: &str = "sender id";
    check_len(FIELD, bytes, MAX_SENDER_ID_LEN)?;
    check_bytes(FIELD, bytes, |b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Checks a ZeroMQ endpoint for RECONNECT-TO: printable ASCII without spaces, a `scheme://` prefix, at
/// most [`MAX_ENDPOINT_LEN`] bytes. The worker hands it to `connect`, so junk must not get that far.
pub fn validate_endpoint(bytes: &[u8]) -> Result<&str, Error> {
    const FIELD: &str = "endpoint";
    check_len(FIELD, bytes, MAX_ENDPOINT_LEN)?;
    check_bytes(FIELD, bytes, |b| b.is_ascii_graphic())?;
    let text = std::str::from_utf8(bytes).map_err(|e| bad_byte(FIELD, bytes, e.valid_up_to()))?;
    match text.find("://") {
        Some(at) if at > 0 => Ok(text),
        _ => Err(Error::UnknownValue {
            field: FIELD,
            value: Error::preview(bytes, 32),
        }),
    }
}

/// Checks free text (a DISCONNECT reason): UTF-8, no control characters, capped.
pub(crate) fn validate_text<'a>(
    field: &'static str,
    bytes: &'a [u8],
    max: usize,
) -> Result<&'a str, Error> {
    if bytes.len() > max {
        return Err(Error::TooLong {
            field,
            len: bytes.len(),
            max,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| bad_byte(field, bytes, e.valid_up_to()))?;
    match text.char_indices().find(|(_, c)| c.is_control()) {
        Some((at, _)) => Err(bad_byte(field, bytes, at)),
        None => Ok(text),
    }
}

fn check_len(field: &'static str, bytes: &[u8], max: usize) -> Result<(), Error> {
    match bytes.len() {
        0 => Err(Error::Empty { field }),
        len if len > max => Err(Error::TooLong { field, len, max }),
        _ => Ok(()),
    }
}

fn check_bytes(
    field: &'static str,
    bytes: &[u8],
    allowed: impl Fn(u8) -> bool,
) -> Result<(), Error> {
    match bytes.iter().position(|&b| !allowed(b)) {
        Some(at) => Err(bad_byte(field, bytes, at)),
        None => Ok(()),
    }
}

fn bad_byte(field: &'static str, bytes: &[u8], at: usize) -> Error {
    Error::BadByte {
        field,
        byte: bytes.get(at).copied().unwrap_or(0),
        at,
    }
}

/// Parses an unsigned ASCII decimal field (no sign, no spaces) within `range`, checking the digit count
/// against [`MAX_DECIMAL_DIGITS`] before parsing and using checked arithmetic.
pub(crate) fn decimal(field: &'static str, bytes: &[u8], min: u64, max: u64) -> Result<u64, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty { field });
    }
    if bytes.len() > MAX_DECIMAL_DIGITS {
        return Err(Error::TooLong {
            field,
            len: bytes.len(),
            max: MAX_DECIMAL_DIGITS,
        });
    }
    let mut value: u64 = 0;
    for (at, &b) in bytes.iter().enumerate() {
        if !b.is_ascii_digit() {
            return Err(Error::BadByte { field, byte: b, at });
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(Error::OutOfRange { field, min, max })?;
    }
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::OutOfRange { field, min, max })
    }
}

/// Formats a number as an ASCII decimal frame.
pub(crate) fn decimal_frame(value: u64) -> Bytes {
    Bytes::from(value.to_string())
}

/// Copies a field that must not be empty (payloads, replies, notices).
pub(crate) fn non_empty(field: &'static str, bytes: &[u8]) -> Result<Bytes, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty { field });
    }
    Ok(Bytes::copy_from_slice(bytes))
}

/// Parses an 8-byte big-endian id frame.
pub(crate) fn id(field: &'static str, bytes: &[u8]) -> Result<u64, Error> {
    let array: [u8; super::REQUEST_ID_LEN] = bytes.try_into().map_err(|_| Error::WrongLength {
        field,
        len: bytes.len(),
        expected: super::REQUEST_ID_LEN,
    })?;
    Ok(u64::from_be_bytes(array))
}

/// Walks the field frames of one command, naming the field that is missing or the frames left over.
pub(crate) struct Reader<'a, F> {
    frames: std::slice::Iter<'a, F>,
    command: &'static str,
}

impl<'a, F: AsRef<[u8]>> Reader<'a, F> {
    /// The next field, required.
    pub(crate) fn field(&mut self, field: &'static str) -> Result<&'a [u8], Error> {
        self.frames
            .next()
            .map(AsRef::as_ref)
            .ok_or(Error::MissingField {
                command: self.command,
                field,
            })
    }

    /// The next field if there is one.
    pub(crate) fn optional(&mut self) -> Option<&'a [u8]> {
        self.frames.next().map(AsRef::as_ref)
    }

    /// All remaining fields.
    pub(crate) fn rest(self) -> impl ExactSizeIterator<Item = &'a [u8]> {
        self.frames.map(AsRef::as_ref)
    }

    /// Fails when frames remain after the last field.
    pub(crate) fn finish(self) -> Result<(), Error> {
        match self.frames.len() {
            0 => Ok(()),
            extra => Err(Error::TrailingFrames {
                command: self.command,
                extra,
            }),
        }
    }

    /// Names the command being decoded, for error messages.
    pub(crate) fn named(mut self, command: &'static str) -> Self {
        self.command = command;
        self
    }
}

/// Checks the envelope (empty delimiter, protocol id, one command byte) and returns the command byte and
/// a reader over the field frames.
pub(crate) fn open<'a, F: AsRef<[u8]>>(
    frames: &'a [F],
    protocol: &'static [u8],
) -> Result<(u8, Reader<'a, F>), Error> {
    let mut iter = frames.iter();
    let delimiter = iter.next().ok_or(Error::NoFrames)?.as_ref();
    if !delimiter.is_empty() {
        return Err(Error::MissingDelimiter {
            len: delimiter.len(),
        });
    }
    let id = iter.next().map(AsRef::as_ref).unwrap_or_default();
    if id != protocol {
        return Err(Error::Protocol {
            found: Error::preview(id, 16),
            expected: std::str::from_utf8(protocol).unwrap_or("?"),
        });
    }
    let command = iter.next().map(AsRef::as_ref).unwrap_or_default();
    match command {
        [byte] => Ok((
            *byte,
            Reader {
                frames: iter,
                command: "?",
            },
        )),
        _ => Err(Error::CommandLength { len: command.len() }),
    }
}

/// The three envelope frames every message starts with.
pub(crate) fn envelope(protocol: &'static [u8], command: u8, out: &mut Vec<Bytes>) {
    static COMMANDS: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    out.push(Bytes::new());
    out.push(Bytes::from_static(protocol));
    match COMMANDS.get(usize::from(command)) {
        Some(byte) => out.push(Bytes::from_static(std::slice::from_ref(byte))),
        None => out.push(Bytes::copy_from_slice(&[command])),
    }
}
