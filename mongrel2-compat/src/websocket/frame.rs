//! One WebSocket frame on the wire: the encoders handlers use towards clients, and the incremental
//! decoder the gateway runs over a client's bytes.

use super::{Error, Opcode, MAX_CONTROL_PAYLOAD};

/// Default cap on one frame's payload. Mongrel2 has none (its read buffer grows to the frame size);
/// we refuse larger frames before allocating, and the cap is a constructor argument.
pub const DEFAULT_MAX_FRAME_PAYLOAD: usize = 16 * 1024 * 1024;

/// The bits of the first header byte.
const FIN: u8 = 0x80;
/// The mask bit of the second header byte.
const MASK: u8 = 0x80;
/// 7-bit length values announcing a 16-bit and a 64-bit extended length.
const LEN_16: u8 = 126;
const LEN_64: u8 = 127;

/// A decoded frame, payload already unmasked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The frame's first byte as sent (FIN, RSV1-3, opcode); Mongrel2 reports it in `FLAGS`.
    pub first_byte: u8,
    /// Whether this is the last frame of its message.
    pub fin: bool,
    /// The frame's opcode.
    pub opcode: Opcode,
    /// The unmasked payload.
    pub payload: Vec<u8>,
}

/// What [`Decoder::decode`] found at the start of the buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// The buffer holds only part of a frame; at least this many more bytes are needed.
    NeedMore(usize),
    /// A whole frame; the caller drops `consumed` bytes from the front of its buffer.
    Frame {
        /// The frame.
        frame: Frame,
        /// How many bytes of the buffer it took.
        consumed: usize,
    },
}

/// Decodes frames from the front of a byte buffer, without keeping state between calls, so the
/// caller owns buffering and I/O. Which side of the connection it sits on decides whether frames
/// must be masked (RFC 6455 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoder {
    max_payload: usize,
    expect_masked: bool,
}

impl Decoder {
    /// For the server side (the gateway): client frames must be masked; payload cap
    /// [`DEFAULT_MAX_FRAME_PAYLOAD`].
    pub fn server() -> Decoder {
        Decoder {
            max_payload: DEFAULT_MAX_FRAME_PAYLOAD,
            expect_masked: true,
        }
    }

    /// For the client side (test clients): server frames must not be masked.
    pub fn client() -> Decoder {
        Decoder {
            max_payload: DEFAULT_MAX_FRAME_PAYLOAD,
            expect_masked: false,
        }
    }

    /// The same decoder with another cap on one frame's payload, in bytes.
    pub fn with_max_payload(self, max_payload: usize) -> Decoder {
        Decoder {
            max_payload,
            ..self
        }
    }

    /// Decodes the frame at the start of `buf`. Protocol errors are reported as soon as the frame
    /// header has arrived, and the payload cap is checked before the payload is awaited or
    /// allocated.
    pub fn decode(&self, buf: &[u8]) -> Result<Decoded, Error> {
        let (Some(&first_byte), Some(&second)) = (buf.first(), buf.get(1)) else {
            return Ok(Decoded::NeedMore(2 - buf.len()));
        };
        let opcode =
            Opcode::from_nibble(first_byte).ok_or(Error::ReservedOpcode(first_byte & 0x0F))?;
        let fin = first_byte & FIN != 0;
        let masked = second & MASK != 0;
        match (self.expect_masked, masked) {
            (true, false) => return Err(Error::Unmasked),
            (false, true) => return Err(Error::Masked),
            _ => {}
        }
        if opcode.is_control() && !fin {
            return Err(Error::FragmentedControl(opcode));
        }
        let (len, len_bytes) = match declared_length(second & !MASK, &buf[2..]) {
            Some(found) => found,
            None => return Ok(Decoded::NeedMore(2 + extended_bytes(second) - buf.len())),
        };
        if opcode.is_control() && len > MAX_CONTROL_PAYLOAD as u64 {
            return Err(Error::ControlTooLong { opcode, len });
        }
        let payload_len = usize::try_from(len)
            .ok()
            .filter(|&n| n <= self.max_payload)
            .ok_or(Error::FrameTooLarge {
                len,
                max: self.max_payload,
            })?;
        let header_len = 2 + len_bytes + if masked { 4 } else { 0 };
        let total = header_len
            .checked_add(payload_len)
            .ok_or(Error::FrameTooLarge {
                len,
                max: self.max_payload,
            })?;
        let Some(bytes) = buf.get(..total) else {
            return Ok(Decoded::NeedMore(total - buf.len()));
        };
        let mut payload = bytes[header_len..].to_vec();
        if masked {
            let key = &bytes[header_len - 4..header_len];
            apply_mask(&mut payload, key);
        }
        Ok(Decoded::Frame {
            frame: Frame {
                first_byte,
                fin,
                opcode,
                payload,
            },
            consumed: total,
        })
    }
}

/// How many extended-length bytes follow the second header byte.
fn extended_bytes(second: u8) -> usize {
    match second & !MASK {
        LEN_16 => 2,
        LEN_64 => 8,
        _ => 0,
    }
}

/// The payload length and the number of extended-length bytes, or `None` if they have not all
/// arrived yet.
fn declared_length(len7: u8, rest: &[u8]) -> Option<(u64, usize)> {
    match len7 {
        LEN_16 => {
            let bytes: [u8; 2] = rest.get(..2)?.try_into().ok()?;
            Some((u64::from(u16::from_be_bytes(bytes)), 2))
        }
        LEN_64 => {
            let bytes: [u8; 8] = rest.get(..8)?.try_into().ok()?;
            Some((u64::from_be_bytes(bytes), 8))
        }
        short => Some((u64::from(short), 0)),
    }
}

/// XORs `data` with the 4-byte masking key (RFC 6455 §5.3); its own inverse.
fn apply_mask(data: &mut [u8], key: &[u8]) {
    for (byte, k) in data.iter_mut().zip(key.iter().cycle()) {
        *byte ^= k;
    }
}

/// Appends an unmasked server→client frame, as handlers send to clients through Mongrel2 or
/// Scale0 (`\x81\x0becho: Hello`). Lengths use the shortest form (7-bit, 16-bit or 64-bit).
/// Fails only for control frames that RFC 6455 forbids (fragmented, or payload over 125 bytes).
pub fn encode_frame(
    fin: bool,
    opcode: Opcode,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    check_control(fin, opcode, payload)?;
    write_header(fin, opcode, None, payload.len(), out);
    out.extend_from_slice(payload);
    Ok(())
}

/// Appends a masked client→server frame with the given masking key. The caller supplies the key
/// (it should be random per frame; keeping randomness out makes the codec deterministic) — used by
/// test clients and tools that speak to the gateway.
pub fn encode_client_frame(
    fin: bool,
    opcode: Opcode,
    mask: [u8; 4],
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    check_control(fin, opcode, payload)?;
    write_header(fin, opcode, Some(mask), payload.len(), out);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], &mask);
    Ok(())
}

fn check_control(fin: bool, opcode: Opcode, payload: &[u8]) -> Result<(), Error> {
    if !opcode.is_control() {
        return Ok(());
    }
    if !fin {
        return Err(Error::FragmentedControl(opcode));
    }
    if payload.len() > MAX_CONTROL_PAYLOAD {
        return Err(Error::ControlTooLong {
            opcode,
            len: payload.len() as u64,
        });
    }
    Ok(())
}

fn write_header(fin: bool, opcode: Opcode, mask: Option<[u8; 4]>, len: usize, out: &mut Vec<u8>) {
    out.push(if fin { FIN } else { 0 } | opcode.as_u8());
    let mask_bit = if mask.is_some() { MASK } else { 0 };
    match u16::try_from(len) {
        Ok(short) if short < u16::from(LEN_16) => out.push(mask_bit | short as u8),
        Ok(medium) => {
            out.push(mask_bit | LEN_16);
            out.extend_from_slice(&medium.to_be_bytes());
        }
        Err(_) => {
            out.push(mask_bit | LEN_64);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
}
