//! Field-level helpers shared by both codecs: the envelope (delimiter, protocol id, command byte), a frame
//! reader that names missing fields, capped decimal numbers and validated names.

use std::borrow::Borrow;
use std::fmt;

use bytes::Bytes;

use super::{
    Error, Version, MAX_DECIMAL_DIGITS, MAX_ENDPOINT_LEN, MAX_SENDER_ID_LEN, MAX_SERVICE_NAME_LEN,
};

/// A validated service name: 1..=[`MAX_SERVICE_NAME_LEN`] bytes of `A-Z a-z 0-9 . _ - : /`.
///
/// Validated once where it enters (READY, SUBMIT, config) so the engine's tables hold only sane keys and
/// names can be printed in logs and `scale0 ctl status` without escaping. Shared, so a copy kept (a
/// request the gateway's link may submit again) costs no allocation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceName(std::sync::Arc<str>);

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

/// Walks the field frames of one command, naming the field that is missing or the frames left over. In
/// version 2 it also holds the head frame's bytes after the command byte (the fixed fields).
pub(crate) struct Reader<'a, F> {
    frames: std::slice::Iter<'a, F>,
    command: &'static str,
    version: Version,
    head: &'a [u8],
}

impl<'a, F: AsRef<[u8]>> Reader<'a, F> {
    /// The version the message is framed in.
    pub(crate) fn version(&self) -> Version {
        self.version
    }

    /// The fixed fields that ride in the head frame in version 2 (`len` bytes) or, in version 1, the next
    /// field frame: a request id is the one field framed both ways.
    pub(crate) fn head_field(
        &mut self,
        field: &'static str,
        len: usize,
    ) -> Result<&'a [u8], Error> {
        match self.version {
            Version::V1 => self.field(field),
            Version::V2 => {
                let head = std::mem::take(&mut self.head);
                if head.len() == len {
                    Ok(head)
                } else {
                    Err(Error::HeadLength {
                        command: self.command,
                        len: head.len(),
                        expected: len,
                    })
                }
            }
        }
    }

    /// The whole rest of a version-2 head frame (variable-length heads such as S0G/2 SUBMIT's).
    pub(crate) fn head_rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.head)
    }

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

    /// All remaining fields (after checking the head holds nothing more).
    pub(crate) fn rest(self) -> Result<impl ExactSizeIterator<Item = &'a [u8]>, Error> {
        self.check_head()?;
        Ok(self.frames.map(AsRef::as_ref))
    }

    /// Fails when frames remain after the last field, or head bytes nobody read.
    pub(crate) fn finish(self) -> Result<(), Error> {
        self.check_head()?;
        match self.frames.len() {
            0 => Ok(()),
            extra => Err(Error::TrailingFrames {
                command: self.command,
                extra,
            }),
        }
    }

    fn check_head(&self) -> Result<(), Error> {
        match self.head.len() {
            0 => Ok(()),
            len => Err(Error::HeadLength {
                command: self.command,
                len,
                expected: 0,
            }),
        }
    }

    /// Names the command being decoded, for error messages.
    pub(crate) fn named(mut self, command: &'static str) -> Self {
        self.command = command;
        self
    }
}

/// A protocol's two ids: version 1's frame and version 2's head prefix, and how to name them in errors.
pub(crate) struct Ids {
    pub(crate) v1: &'static [u8],
    pub(crate) v2: &'static [u8],
    pub(crate) names: &'static str,
}

/// Checks the envelope and returns the version, the command byte and a reader over the fields. Version 1:
/// empty delimiter, protocol id frame, one-byte command frame; version 2: empty delimiter, then a head
/// frame that starts with the protocol id and the command byte.
pub(crate) fn open<'a, F: AsRef<[u8]>>(
    frames: &'a [F],
    ids: &Ids,
) -> Result<(u8, Reader<'a, F>), Error> {
    let mut iter = frames.iter();
    let delimiter = iter.next().ok_or(Error::NoFrames)?.as_ref();
    if !delimiter.is_empty() {
        return Err(Error::MissingDelimiter {
            len: delimiter.len(),
        });
    }
    let id = iter.next().map(AsRef::as_ref).unwrap_or_default();
    let (version, command, head) = if id == ids.v1 {
        let command = iter.next().map(AsRef::as_ref).unwrap_or_default();
        (Version::V1, command, &[][..])
    } else if let Some(rest) = id.strip_prefix(ids.v2) {
        let (command, head) = rest.split_at(rest.len().min(1));
        (Version::V2, command, head)
    } else {
        return Err(Error::Protocol {
            found: Error::preview(id, 16),
            expected: ids.names,
        });
    };
    match command {
        [byte] => Ok((
            *byte,
            Reader {
                frames: iter,
                command: "?",
                version,
                head,
            },
        )),
        _ => Err(Error::CommandLength { len: command.len() }),
    }
}

/// The frames every message starts with: in version 1 the delimiter, the protocol id and the command byte,
/// then `head` (a request id) as a frame of its own when there is one; in version 2 the delimiter and one
/// head frame holding the protocol id, the command byte and `head`.
pub(crate) fn envelope(
    ids: &Ids,
    version: Version,
    command: u8,
    head: &[u8],
    out: &mut Vec<Bytes>,
) {
    static COMMANDS: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    out.push(Bytes::new());
    match version {
        Version::V1 => {
            out.push(Bytes::from_static(ids.v1));
            match COMMANDS.get(usize::from(command)) {
                Some(byte) => out.push(Bytes::from_static(std::slice::from_ref(byte))),
                None => out.push(Bytes::copy_from_slice(&[command])),
            }
            if !head.is_empty() {
                out.push(Bytes::copy_from_slice(head));
            }
        }
        Version::V2 => {
            let mut frame = Vec::with_capacity(ids.v2.len() + 1 + head.len());
            frame.extend_from_slice(ids.v2);
            frame.push(command);
            frame.extend_from_slice(head);
            out.push(Bytes::from(frame));
        }
    }
}
