//! De-chunking of `Transfer-Encoding: chunked` bodies (RFC 9112 §7.1), one state per
//! position in the grammar so a body may arrive split anywhere.

use bytes::{Buf, Bytes, BytesMut};

use super::{Error, Limits};

/// What the decoder produced from the buffered bytes.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Body bytes (never empty).
    Data(Bytes),
    /// The last chunk and the trailer section have been read.
    Done,
}

/// Where in the chunked grammar the decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decoder {
    /// Reading hex digits of a chunk size.
    Size { digits: usize, size: u64 },
    /// Skipping whitespace and chunk extensions up to the CR ending the size line.
    Extension { size: u64, len: usize },
    /// Expecting the LF of the size line.
    SizeLf { size: u64 },
    /// Inside chunk data with this many bytes left.
    Data { left: u64 },
    /// Expecting the CR after chunk data.
    DataCr,
    /// Expecting the LF after chunk data.
    DataLf,
    /// Inside the trailer section: `line` bytes of the current field, `total` bytes overall.
    Trailer { line: usize, total: usize },
    /// Expecting the LF ending a trailer line (or the section, when `line` is 0).
    TrailerLf { line: usize, total: usize },
}

impl Decoder {
    /// A decoder positioned before the first chunk size.
    pub(super) fn new() -> Self {
        Self::Size { digits: 0, size: 0 }
    }

    /// Consumes bytes from `buf` until it has body data, reaches the end, or needs more bytes
    /// (`Ok(None)`).
    pub(super) fn step(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<Step>, Error> {
        loop {
            if let Self::Data { left } = *self {
                let Some(data) = take_data(buf, left) else {
                    return Ok(None);
                };
                let taken =
                    u64::try_from(data.len()).map_err(|_| bad("chunk larger than memory"))?;
                let left = left.checked_sub(taken).ok_or(bad("chunk accounting"))?;
                *self = if left == 0 {
                    Self::DataCr
                } else {
                    Self::Data { left }
                };
                return Ok(Some(Step::Data(data)));
            }
            let Some(&byte) = buf.first() else {
                return Ok(None);
            };
            buf.advance(1);
            if self.control(byte, limits)? {
                return Ok(Some(Step::Done));
            }
        }
    }

    /// Advances over one byte outside chunk data; `true` once the body is complete.
    fn control(&mut self, byte: u8, limits: &Limits) -> Result<bool, Error> {
        *self = match *self {
            Self::Size { digits, size } => match (char::from(byte).to_digit(16), byte) {
                (Some(digit), _) => size_digit(digits, size, digit, limits)?,
                (None, b'\r') if digits > 0 => Self::SizeLf { size },
                (None, b';' | b' ' | b'\t') if digits > 0 => Self::Extension { size, len: 1 },
                _ => return Err(bad("invalid chunk size")),
            },
            Self::Extension { size, len } => match byte {
                b'\r' => Self::SizeLf { size },
                b'\n' => return Err(bad("bare LF after chunk size")),
                _ if len >= limits.max_chunk_extension_bytes => {
                    return Err(bad("chunk extension too long"))
                }
                _ => Self::Extension { size, len: len + 1 },
            },
            Self::SizeLf { size } => match (byte, size) {
                (b'\n', 0) => Self::Trailer { line: 0, total: 0 },
                (b'\n', left) => Self::Data { left },
                _ => return Err(bad("missing LF after chunk size")),
            },
            Self::DataCr if byte == b'\r' => Self::DataLf,
            Self::DataLf if byte == b'\n' => Self::new(),
            Self::DataCr | Self::DataLf => return Err(bad("missing CRLF after chunk data")),
            Self::Trailer { line, total } => {
                if total >= limits.max_head_bytes {
                    return Err(bad("trailer section too large"));
                }
                match byte {
                    b'\r' => Self::TrailerLf {
                        line,
                        total: total + 1,
                    },
                    _ => Self::Trailer {
                        line: line + 1,
                        total: total + 1,
                    },
                }
            }
            Self::TrailerLf { line: 0, .. } if byte == b'\n' => return Ok(true),
            Self::TrailerLf { total, .. } if byte == b'\n' => Self::Trailer {
                line: 0,
                total: total + 1,
            },
            Self::TrailerLf { .. } => return Err(bad("missing LF in trailer section")),
            Self::Data { .. } => return Err(bad("decoder state")),
        };
        Ok(false)
    }
}

fn size_digit(digits: usize, size: u64, digit: u32, limits: &Limits) -> Result<Decoder, Error> {
    let digits = digits + 1;
    if digits > limits.max_chunk_size_digits {
        return Err(bad("chunk size has too many digits"));
    }
    let size = size
        .checked_mul(16)
        .and_then(|s| s.checked_add(u64::from(digit)))
        .ok_or(bad("chunk size overflows"))?;
    Ok(Decoder::Size { digits, size })
}

/// Up to `left` buffered bytes as a zero-copy `Bytes`, or `None` when nothing is buffered.
pub(super) fn take_data(buf: &mut BytesMut, left: u64) -> Option<Bytes> {
    if buf.is_empty() {
        return None;
    }
    let n = usize::try_from(left).map_or(buf.len(), |left| left.min(buf.len()));
    Some(buf.split_to(n).freeze())
}

fn bad(reason: &'static str) -> Error {
    Error::BadChunk { reason }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]
mod tests {
    use super::*;

    fn decode(input: &[u8], limits: &Limits) -> Result<(Vec<u8>, bool, usize), Error> {
        let mut buf = BytesMut::from(input);
        let mut decoder = Decoder::new();
        let mut body = Vec::new();
        while let Some(step) = decoder.step(&mut buf, limits)? {
            match step {
                Step::Data(data) => body.extend_from_slice(&data),
                Step::Done => return Ok((body, true, buf.len())),
            }
        }
        Ok((body, false, buf.len()))
    }

    #[test]
    fn decodes_chunks_extensions_and_trailers_leaving_what_follows() {
        let input = b"6;name=v\r\nchunk1\r\nA \r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        let (body, done, rest) = decode(input, &Limits::default()).unwrap();
        assert_eq!(
            body,
            b"chunk1"
                .iter()
                .chain(b"0123456789")
                .copied()
                .collect::<Vec<_>>()
        );
        assert!(done);
        assert_eq!(rest, 4);
    }

    #[test]
    fn partial_input_waits_for_more() {
        let (body, done, _) = decode(b"a\r\n01234", &Limits::default()).unwrap();
        assert_eq!((body.as_slice(), done), (&b"01234"[..], false));
    }

    #[test]
    fn hostile_sizes_are_rejected_before_any_allocation() {
        let limits = Limits::default();
        let too_many = decode(b"00000000000000001\r\n", &limits);
        assert_eq!(
            too_many,
            Err(Error::BadChunk {
                reason: "chunk size has too many digits"
            })
        );
        let huge = decode(b"FFFFFFFFFFFFFFFF\r\nabc", &limits).unwrap();
        assert_eq!((huge.0.as_slice(), huge.1), (&b"abc"[..], false));
        let tight = Limits {
            max_chunk_size_digits: 64,
            ..Limits::default()
        };
        let overflow = decode(b"10000000000000000\r\n", &tight);
        assert_eq!(
            overflow,
            Err(Error::BadChunk {
                reason: "chunk size overflows"
            })
        );
    }

    #[test]
    fn malformed_framing_is_a_typed_error() {
        let limits = Limits::default();
        for input in [
            &b"\r\n"[..],
            b"zz\r\n",
            b"3\nabc\r\n",
            b"3\r\nabcX",
            b"0\r\nX: y\rz",
        ] {
            assert!(
                matches!(decode(input, &limits), Err(Error::BadChunk { .. })),
                "{input:?}"
            );
        }
        let long_ext = [&b"1;"[..], &[b'e'; 5000], b"\r\n"].concat();
        assert!(matches!(
            decode(&long_ext, &limits),
            Err(Error::BadChunk { .. })
        ));
    }
}
