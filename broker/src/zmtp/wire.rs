//! ZMTP 3.x on the wire, sans-IO: the greeting, the NULL mechanism's READY, frames and their flags
//! (<https://rfc.zeromq.org/spec/23/>, <https://rfc.zeromq.org/spec/37/>).
//!
//! ```text
//! greeting  = FF 00*8 7F  major minor  mechanism(20, "NULL" NUL-padded)  as-server(1)  filler(31)
//! frame     = flags(1) size(1 | 8, big-endian) body      flags: 0x01 MORE, 0x02 LONG, 0x04 COMMAND
//! command   = name-length(1) name data                   READY data: properties
//! property  = name-length(1) name value-length(4, big-endian) value
//! ```

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Bytes in a ZMTP 3 greeting.
pub const GREETING_LEN: usize = 64;

/// Most bytes [`decode_frame`] reserves ahead for a frame still arriving; the buffer grows as the body
/// does.
pub const RESERVE_AHEAD: usize = 1 << 20;

const MORE: u8 = 0x01;
const LONG: u8 = 0x02;
const COMMAND: u8 = 0x04;

/// Why a peer's bytes are not ZMTP 3 as this end speaks it; the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The first ten bytes are not ZMTP's signature (an HTTP client, a ZMTP 1.0 peer...).
    #[error("not a ZMTP peer (bad signature)")]
    Signature,
    /// ZMTP 2.0 or older (libzmq before 4.0).
    #[error("ZMTP {0}.x is not supported (3.0 or later is)")]
    Version(u8),
    /// A security mechanism other than NULL (CURVE, PLAIN).
    #[error("security mechanism {0:?} is not supported natively (NULL is)")]
    Mechanism(String),
    /// A frame's flags byte has reserved bits set.
    #[error("frame flags {0:#04x} have reserved bits set")]
    Flags(u8),
    /// A frame larger than the cap this end accepts.
    #[error("a {size}-byte frame is over the {limit}-byte cap")]
    TooLarge {
        /// The size the peer announced.
        size: u64,
        /// The cap.
        limit: usize,
    },
    /// A command frame that does not parse (name or property lengths out of bounds).
    #[error("malformed {0} command")]
    Command(&'static str),
    /// The handshake did not start with READY (or was an ERROR: the reason is given).
    #[error("handshake refused: {0}")]
    Handshake(String),
    /// The peer's socket type cannot talk to this one (a PUB connecting to a ROUTER).
    #[error("a {peer} socket cannot connect to a {ours}")]
    SocketType {
        /// The peer's `Socket-Type`.
        peer: String,
        /// This end's type.
        ours: &'static str,
    },
}

/// This end's greeting: ZMTP 3.1, NULL mechanism.
pub fn greeting(as_server: bool) -> [u8; GREETING_LEN] {
    let mut out = [0u8; GREETING_LEN];
    out[0] = 0xFF;
    out[9] = 0x7F;
    out[10] = 3;
    out[11] = 1;
    out[12..16].copy_from_slice(b"NULL");
    out[32] = u8::from(as_server);
    out
}

/// Checks the first bytes of a peer's greeting as they arrive, so a peer that is not ZMTP (an HTTP
/// client on the wrong port) is refused at its first byte rather than after a timeout.
pub fn check_greeting_prefix(prefix: &[u8]) -> Result<(), WireError> {
    if prefix.first().is_some_and(|&b| b != 0xFF) || prefix.get(9).is_some_and(|&b| b & 0x01 == 0) {
        return Err(WireError::Signature);
    }
    match prefix.get(10) {
        Some(&major) if major < 3 => Err(WireError::Version(major)),
        _ => Ok(()),
    }
}

/// Checks a peer's greeting. Any ZMTP 3.x minor version is accepted (3.0 has no PING, which this end
/// never sends unasked).
pub fn check_greeting(greeting: &[u8; GREETING_LEN]) -> Result<(), WireError> {
    if greeting[0] != 0xFF || greeting[9] & 0x01 == 0 {
        return Err(WireError::Signature);
    }
    if greeting[10] < 3 {
        return Err(WireError::Version(greeting[10]));
    }
    let mechanism = &greeting[12..32];
    let name_len = mechanism
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(mechanism.len());
    if &mechanism[..name_len] != b"NULL" {
        let name = String::from_utf8_lossy(&mechanism[..name_len]).into_owned();
        return Err(WireError::Mechanism(name));
    }
    Ok(())
}

/// One frame off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Another frame of the same message follows.
    pub more: bool,
    /// A command (READY, PING, ERROR...), not message data.
    pub command: bool,
    /// The body: a slice of the read buffer, not a copy.
    pub body: Bytes,
}

/// Takes the next whole frame from the front of `buf`; `Ok(None)` until one has fully arrived. Frames
/// over `max_size` bytes are refused as soon as their size is known, before the body is read.
pub fn decode_frame(buf: &mut BytesMut, max_size: usize) -> Result<Option<Frame>, WireError> {
    let Some(&flags) = buf.first() else {
        return Ok(None);
    };
    if flags & !(MORE | LONG | COMMAND) != 0 {
        return Err(WireError::Flags(flags));
    }
    let (head, size) = if flags & LONG != 0 {
        let Some(size) = buf.get(1..9) else {
            return Ok(None);
        };
        let mut size_bytes = [0u8; 8];
        size_bytes.copy_from_slice(size);
        (9usize, u64::from_be_bytes(size_bytes))
    } else {
        let Some(&size) = buf.get(1) else {
            return Ok(None);
        };
        (2, u64::from(size))
    };
    let body_len = match usize::try_from(size) {
        Ok(len) if len <= max_size => len,
        _ => {
            return Err(WireError::TooLarge {
                size,
                limit: max_size,
            })
        }
    };
    let Some(whole) = head.checked_add(body_len) else {
        return Err(WireError::TooLarge {
            size,
            limit: max_size,
        });
    };
    if buf.len() < whole {
        // Room for what is announced, but never more than RESERVE_AHEAD at a time: a peer that
        // announces a large frame and sends nothing more does not get the whole frame allocated.
        buf.reserve((whole - buf.len()).min(RESERVE_AHEAD));
        return Ok(None);
    }
    buf.advance(head);
    let body = buf.split_to(body_len).freeze();
    Ok(Some(Frame {
        more: flags & MORE != 0 && flags & COMMAND == 0,
        command: flags & COMMAND != 0,
        body,
    }))
}

/// Appends a frame's flags and size (not its body) to `out`.
pub fn put_frame_head(out: &mut BytesMut, len: usize, more: bool, command: bool) {
    let mut flags = if more { MORE } else { 0 };
    if command {
        flags |= COMMAND;
    }
    match u8::try_from(len) {
        Ok(short) => {
            out.put_u8(flags);
            out.put_u8(short);
        }
        Err(_) => {
            out.put_u8(flags | LONG);
            out.put_u64(len as u64);
        }
    }
}

/// Appends a whole command frame: `name`, then `data`.
pub fn put_command(out: &mut BytesMut, name: &str, data: &[u8]) {
    put_frame_head(out, 1 + name.len() + data.len(), false, true);
    out.put_u8(name.len() as u8);
    out.put_slice(name.as_bytes());
    out.put_slice(data);
}

/// This end's READY: its socket type and, when it has one, its routing identity.
pub fn put_ready(out: &mut BytesMut, socket_type: &str, identity: Option<&[u8]>) {
    let mut data = BytesMut::new();
    put_property(&mut data, "Socket-Type", socket_type.as_bytes());
    if let Some(identity) = identity {
        put_property(&mut data, "Identity", identity);
    }
    put_command(out, "READY", &data);
}

fn put_property(out: &mut BytesMut, name: &str, value: &[u8]) {
    out.put_u8(name.len() as u8);
    out.put_slice(name.as_bytes());
    out.put_u32(value.len() as u32);
    out.put_slice(value);
}

/// A command split into its name and data.
pub fn split_command(body: &Bytes) -> Result<(&[u8], Bytes), WireError> {
    let name_len = usize::from(*body.first().ok_or(WireError::Command("empty"))?);
    let name = body
        .get(1..1 + name_len)
        .ok_or(WireError::Command("truncated"))?;
    Ok((name, body.slice(1 + name_len..)))
}

/// What a peer's READY says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerMetadata {
    /// `Socket-Type` (`DEALER`, `ROUTER`, `REQ`...).
    pub socket_type: String,
    /// `Identity`, empty when the peer set none.
    pub identity: Bytes,
}

/// Parses a handshake command: READY's properties, or the reason an ERROR gives.
pub fn parse_ready(body: &Bytes) -> Result<PeerMetadata, WireError> {
    let (name, mut data) = split_command(body)?;
    match name {
        b"READY" => {}
        b"ERROR" => {
            let reason = data
                .split_first()
                .map(|(&len, rest)| &rest[..usize::from(len).min(rest.len())])
                .unwrap_or_default();
            return Err(WireError::Handshake(
                String::from_utf8_lossy(reason).into_owned(),
            ));
        }
        other => {
            return Err(WireError::Handshake(format!(
                "expected READY, got {:?}",
                String::from_utf8_lossy(other)
            )))
        }
    }
    let mut metadata = PeerMetadata::default();
    while !data.is_empty() {
        let name_len = usize::from(data.get_u8());
        if data.len() < name_len + 4 {
            return Err(WireError::Command("READY"));
        }
        let name = data.split_to(name_len);
        let value_len = data.get_u32() as usize;
        if data.len() < value_len {
            return Err(WireError::Command("READY"));
        }
        let value = data.split_to(value_len);
        if name.eq_ignore_ascii_case(b"Socket-Type") {
            metadata.socket_type = String::from_utf8_lossy(&value).into_owned();
        } else if name.eq_ignore_ascii_case(b"Identity") {
            metadata.identity = value;
        }
    }
    Ok(metadata)
}

/// Whether a peer of `peer` type may talk to a socket of type `ours` (RFC 23's table, for the two types
/// this module implements).
pub fn compatible(ours: &str, peer: &str) -> bool {
    match ours {
        "ROUTER" => matches!(peer, "DEALER" | "REQ" | "ROUTER"),
        "DEALER" => matches!(peer, "ROUTER" | "REP" | "DEALER"),
        _ => false,
    }
}

/// The PONG answering a PING's `data` (TTL, then context): the context comes back.
pub fn put_pong(out: &mut BytesMut, ping_data: &[u8]) {
    put_command(out, "PONG", ping_data.get(2..).unwrap_or_default());
}
