//! Typed decode errors: each names the command and field at fault so a log line points at the peer's bug.

/// Why a multipart message could not be decoded (or a value could not be encoded).
///
/// The broker's I/O layer decides what to do per variant: [`Error::UnknownCommand`] and
/// [`Error::Protocol`] get the peer a DISCONNECT, everything else is logged and the message dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The message has no frames at all.
    #[error("empty message: expected an empty delimiter frame first")]
    NoFrames,
    /// The first frame must be the empty delimiter (Majordomo style).
    #[error("first frame must be the empty delimiter, got {len} bytes")]
    MissingDelimiter {
        /// Length of the frame found instead.
        len: usize,
    },
    /// The protocol id frame is missing or names another protocol or version.
    #[error("protocol id {found:?} not supported, expected {expected}")]
    Protocol {
        /// The first bytes (at most 16) of the frame found, lossily decoded.
        found: String,
        /// The protocol id this codec speaks.
        expected: &'static str,
    },
    /// The command frame is missing or is not exactly one byte.
    #[error("command frame must be exactly one byte, got {len} bytes")]
    CommandLength {
        /// Length of the command frame (0 when absent).
        len: usize,
    },
    /// The command byte is not one this protocol defines.
    #[error("unknown command byte {0:#04x}")]
    UnknownCommand(u8),
    /// Bytes follow the command byte in a version-2 head frame of a command that carries no head field,
    /// or the head's fixed fields have the wrong length.
    #[error("{command}: head frame has {len} byte(s) after the command byte, expected {expected}")]
    HeadLength {
        /// Command being decoded.
        command: &'static str,
        /// Bytes after the command byte.
        len: usize,
        /// Bytes the command's head fields take.
        expected: usize,
    },
    /// A required field frame is absent.
    #[error("{command}: missing field {field}")]
    MissingField {
        /// Command being decoded.
        command: &'static str,
        /// Field expected next.
        field: &'static str,
    },
    /// Frames follow the last field of a command.
    #[error("{command}: {extra} unexpected frame(s) after the last field")]
    TrailingFrames {
        /// Command being decoded.
        command: &'static str,
        /// How many frames are left over.
        extra: usize,
    },
    /// A field is empty where the protocol requires bytes.
    #[error("{field} must not be empty")]
    Empty {
        /// Field at fault.
        field: &'static str,
    },
    /// A field is longer than its cap.
    #[error("{field} is {len} bytes, at most {max} allowed")]
    TooLong {
        /// Field at fault.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// A fixed-size field has the wrong length.
    #[error("{field} must be exactly {expected} bytes, got {len}")]
    WrongLength {
        /// Field at fault.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The required length.
        expected: usize,
    },
    /// A field contains a byte outside its allowed set.
    #[error("{field} has byte {byte:#04x} at offset {at}, not allowed there")]
    BadByte {
        /// Field at fault.
        field: &'static str,
        /// The offending byte.
        byte: u8,
        /// Its offset in the field.
        at: usize,
    },
    /// A numeric field is outside its allowed range (or overflowed while parsing).
    #[error("{field} must be within {min}..={max}")]
    OutOfRange {
        /// Field at fault.
        field: &'static str,
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// READY names more services than [`MAX_SERVICES_PER_READY`](super::MAX_SERVICES_PER_READY).
    #[error("READY names {count} services, at most {max} allowed")]
    TooManyServices {
        /// Services named.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// READY names the same service twice.
    #[error("READY names service {name:?} twice")]
    DuplicateService {
        /// The repeated name.
        name: String,
    },
    /// A token field (status, reason) holds a value this version does not define.
    #[error("{field} has an unknown value {value:?}")]
    UnknownValue {
        /// Field at fault.
        field: &'static str,
        /// The value found (at most 32 bytes, lossily decoded).
        value: String,
    },
}

impl Error {
    /// Whether the peer should be told to go away (DISCONNECT) rather than having one message dropped:
    /// it speaks a command or protocol version we do not, so nothing it sends next will make sense.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Error::UnknownCommand(_) | Error::Protocol { .. })
    }

    /// Builds an error value preview that never holds more than `max` bytes of hostile input.
    pub(crate) fn preview(bytes: &[u8], max: usize) -> String {
        String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned()
    }
}
