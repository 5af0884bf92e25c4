//! RFC 6455 helpers shared by the gateway and by handlers, sans-IO.
//!
//! Mongrel2 (docs/mongrel2-protocol.md §4.5) does only three WebSocket things itself: it computes the
//! `Sec-WebSocket-Accept` value ([`accept_key`]) and sends it as the body of the `WEBSOCKET_HANDSHAKE`
//! message, it decodes and unmasks client frames ([`Decoder`]) and reassembles fragmented messages
//! ([`Reassembler`]), and it reports each message's first frame byte in the `FLAGS` header
//! ([`flags_string`], read back with [`parse_flags`]). Everything towards the client — the `101`
//! response and every server frame — is built by the handler ([`encode_frame`]).
//!
//! ```
//! use mongrel2_compat::websocket::{self, Decoded, Decoder, Opcode, Reassembler};
//!
//! // The RFC 6455 example key gives the RFC's accept value.
//! assert_eq!(websocket::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//!
//! // A masked client text frame "Hello", decoded and reported as Mongrel2 would.
//! let mut wire = Vec::new();
//! websocket::encode_client_frame(true, Opcode::Text, [1, 2, 3, 4], b"Hello", &mut wire).unwrap();
//! let Decoded::Frame { frame, consumed } = Decoder::server().decode(&wire).unwrap() else { panic!() };
//! assert_eq!(consumed, wire.len());
//! let message = Reassembler::default().push(frame).unwrap().unwrap();
//! assert_eq!((message.flags().as_str(), &message.payload[..]), ("0x81", &b"Hello"[..]));
//! ```

mod frame;
mod handshake;
mod inbound;
mod reassemble;

pub use frame::{
    encode_client_frame, encode_frame, Decoded, Decoder, Frame, DEFAULT_MAX_FRAME_PAYLOAD,
};
pub use handshake::{accept_key, flags_byte, flags_string, parse_flags, GUID};
pub use inbound::Inbound;
pub use reassemble::{Message, Reassembler, DEFAULT_MAX_MESSAGE_SIZE};

/// A frame opcode (RFC 6455 §5.2). Reserved opcodes are not representable: a peer that sends one
/// gets [`Error::ReservedOpcode`], as the RFC requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// `0x0`: a later fragment of a message.
    Continuation,
    /// `0x1`: a UTF-8 text message (Mongrel2 does not validate the UTF-8, and neither do we).
    Text,
    /// `0x2`: a binary message.
    Binary,
    /// `0x8`: close; payload is an optional 2-byte status code and a reason.
    Close,
    /// `0x9`: ping. Mongrel2 forwards it to the handler and never answers it itself.
    Ping,
    /// `0xA`: pong.
    Pong,
}

impl Opcode {
    /// The opcode of the low nibble of a frame's first byte; `None` for the reserved values.
    pub fn from_nibble(first_byte: u8) -> Option<Opcode> {
        match first_byte & 0x0F {
            0x0 => Some(Opcode::Continuation),
            0x1 => Some(Opcode::Text),
            0x2 => Some(Opcode::Binary),
            0x8 => Some(Opcode::Close),
            0x9 => Some(Opcode::Ping),
            0xA => Some(Opcode::Pong),
            _ => None,
        }
    }

    /// The 4-bit wire value.
    pub fn as_u8(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }

    /// Close, ping and pong are control frames: never fragmented, payload at most 125 bytes, and
    /// allowed in the middle of a fragmented message.
    pub fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// Largest payload of a control frame (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Why a frame, a message or a `FLAGS` value was refused. Each of these closes the connection
/// (Mongrel2 closes the socket without a close frame and tells the handler with a disconnect notice).
#[non_exhaustive]
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum Error {
    /// A client→server frame without the mask bit (RFC 6455 §5.1).
    #[error("client frame is not masked")]
    Unmasked,
    /// A server→client frame with the mask bit set (RFC 6455 §5.1).
    #[error("server frame is masked")]
    Masked,
    /// The opcode nibble is one of the reserved values.
    #[error("reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// A control frame without FIN.
    #[error("fragmented {0:?} control frame")]
    FragmentedControl(Opcode),
    /// A control frame whose payload length exceeds [`MAX_CONTROL_PAYLOAD`].
    #[error("{opcode:?} control frame payload of {len} bytes exceeds 125")]
    ControlTooLong {
        /// The control frame's opcode.
        opcode: Opcode,
        /// Its declared payload length.
        len: u64,
    },
    /// The declared payload length exceeds the decoder's cap (checked before any allocation).
    #[error("frame payload length {len} exceeds the cap of {max} bytes")]
    FrameTooLarge {
        /// The declared length.
        len: u64,
        /// The configured cap.
        max: usize,
    },
    /// A continuation frame with no fragmented message in progress.
    #[error("continuation frame without a message start")]
    ContinuationWithoutStart,
    /// A text or binary frame while a fragmented message is still open.
    #[error("{0:?} frame inside a fragmented message")]
    DataFrameInFragmentedMessage(Opcode),
    /// A reassembled message would exceed the reassembler's cap.
    #[error("message of at least {len} bytes exceeds the cap of {max} bytes")]
    MessageTooLarge {
        /// The size the message would reach.
        len: u64,
        /// The configured cap.
        max: usize,
    },
    /// A `FLAGS` header value that is not `0x` followed by one or two hex digits.
    #[error("FLAGS value is not 0x followed by 1-2 hex digits")]
    BadFlags,
}

#[cfg(test)]
mod tests;
