//! The handshake accept value and the `FLAGS` header, the two WebSocket strings Mongrel2 puts into
//! request messages.

use super::{Error, Opcode};
use base64::Engine as _;
use sha1::{Digest as _, Sha1};

/// The fixed GUID RFC 6455 §1.3 appends to the client's key before hashing.
pub const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`: base64 of
/// SHA-1(key + [`GUID`]). Mongrel2 sends exactly this (28 bytes) as the body of the
/// `WEBSOCKET_HANDSHAKE` message and the handler copies it into its `101` response.
///
/// The key is used byte for byte, as Mongrel2 does: it is the header value with leading
/// whitespace already removed by the HTTP parser, and it is not otherwise validated.
pub fn accept_key(client_key: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(client_key);
    hasher.update(GUID);
    base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
}

/// The `FLAGS` header value for a message whose first frame began with `first_byte`:
/// `"0x"` + upper-case hex without padding of `first_byte | 0x80` (`0x81` text, `0x82` binary,
/// `0x88` close, `0x89` ping, `0x8A` pong). The FIN bit is always set because Mongrel2 reports
/// whole messages; RSV bits are kept, since extensions are negotiated by the handler.
pub fn flags_string(first_byte: u8) -> String {
    String::from_utf8_lossy(&crate::request::websocket_flags(first_byte)).into_owned()
}

/// Reads a `FLAGS` header value back into (FIN, opcode), so a handler can tell text from binary
/// from close. Accepts `0x` followed by one or two hex digits of either case.
pub fn parse_flags(value: &[u8]) -> Result<(bool, Opcode), Error> {
    let byte = flags_byte(value)?;
    let opcode = Opcode::from_nibble(byte).ok_or(Error::ReservedOpcode(byte & 0x0F))?;
    Ok((byte & 0x80 != 0, opcode))
}

/// The byte a `FLAGS` header value spells (`0x81` → `0x81`), RSV bits included, for handlers
/// that negotiated an extension such as permessage-deflate (RSV1 = `0x40`).
pub fn flags_byte(value: &[u8]) -> Result<u8, Error> {
    let digits = value.strip_prefix(b"0x").ok_or(Error::BadFlags)?;
    if digits.is_empty() || digits.len() > 2 {
        return Err(Error::BadFlags);
    }
    let mut byte: u8 = 0;
    for &digit in digits {
        let nibble = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            b'A'..=b'F' => digit - b'A' + 10,
            _ => return Err(Error::BadFlags),
        };
        byte = (byte << 4) | nibble;
    }
    Ok(byte)
}
