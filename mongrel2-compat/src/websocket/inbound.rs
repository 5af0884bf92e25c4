//! A client's byte stream turned into whole messages: the buffer, the [`Decoder`] and the
//! [`Reassembler`] in one sans-IO value, so a server reads bytes into [`Inbound::read_buffer`] and
//! takes messages out with [`Inbound::next_message`] without knowing frame boundaries.

use super::{Decoded, Decoder, Error, Message, Reassembler};

/// Client bytes not yet decoded, and the message being reassembled. Memory is bounded by the two
/// caps: a frame is refused from its header when it would exceed `max_frame`, so the buffer never
/// holds more than one capped frame plus the last read.
#[derive(Debug)]
pub struct Inbound {
    decoder: Decoder,
    reassembler: Reassembler,
    buf: Vec<u8>,
    start: usize,
}

impl Inbound {
    /// A server-side stream (client frames must be masked) refusing frames with a payload over
    /// `max_frame` bytes and messages over `max_message` bytes.
    pub fn new(max_frame: usize, max_message: usize) -> Inbound {
        Inbound {
            decoder: Decoder::server().with_max_payload(max_frame),
            reassembler: Reassembler::new(max_message),
            buf: Vec::new(),
            start: 0,
        }
    }

    /// The buffer to read more client bytes into (append only), with at least `room` bytes of
    /// spare capacity. Already decoded bytes are dropped from its front first.
    pub fn read_buffer(&mut self, room: usize) -> &mut Vec<u8> {
        self.compact();
        self.buf.reserve(room);
        &mut self.buf
    }

    /// Appends client bytes (for bytes that arrived before the stream was set up).
    pub fn extend(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete message, `None` when more bytes are needed. Control frames are
    /// returned as they come, also between the fragments of a message. After an error the
    /// connection must be closed.
    pub fn next_message(&mut self) -> Result<Option<Message>, Error> {
        loop {
            let pending = self.buf.get(self.start..).unwrap_or_default();
            match self.decoder.decode(pending)? {
                Decoded::NeedMore(_) => {
                    self.release_if_empty();
                    return Ok(None);
                }
                Decoded::Frame { frame, consumed } => {
                    self.start = self.start.saturating_add(consumed);
                    if let Some(message) = self.reassembler.push(frame)? {
                        return Ok(Some(message));
                    }
                }
            }
        }
    }

    /// True when no fragmented message is open and no undecoded bytes are held.
    pub fn is_idle(&self) -> bool {
        !self.reassembler.in_message() && self.start >= self.buf.len()
    }

    /// Drops the decoded prefix of the buffer.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start.min(self.buf.len()));
            self.start = 0;
        }
    }

    /// Gives the buffer's memory back once everything in it was decoded, so an idle connection
    /// holds no read buffer between messages.
    fn release_if_empty(&mut self) {
        if self.start >= self.buf.len() {
            self.buf = Vec::new();
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{encode_client_frame, Opcode};
    use super::*;

    const MASK: [u8; 4] = [9, 8, 7, 6];

    fn frame(fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_client_frame(fin, opcode, MASK, payload, &mut out).unwrap();
        out
    }

    fn drain(inbound: &mut Inbound) -> Result<Vec<(String, Vec<u8>)>, Error> {
        let mut out = Vec::new();
        while let Some(m) = inbound.next_message()? {
            out.push((m.flags(), m.payload));
        }
        Ok(out)
    }

    #[test]
    fn bytes_in_any_split_give_the_same_messages() {
        let wire = [
            frame(false, Opcode::Text, b"frag-one "),
            frame(true, Opcode::Ping, b"png"),
            frame(true, Opcode::Continuation, b"frag-two"),
            frame(true, Opcode::Binary, &[0, 1, 2, 255]),
        ]
        .concat();
        for split in 0..=wire.len() {
            let mut inbound = Inbound::new(1024, 1024);
            inbound.extend(&wire[..split]);
            let mut got = drain(&mut inbound).unwrap();
            inbound.read_buffer(16).extend_from_slice(&wire[split..]);
            got.extend(drain(&mut inbound).unwrap());
            let want = vec![
                ("0x89".to_owned(), b"png".to_vec()),
                ("0x81".to_owned(), b"frag-one frag-two".to_vec()),
                ("0x82".to_owned(), vec![0, 1, 2, 255]),
            ];
            assert_eq!(got, want, "split at {split}");
            assert!(inbound.is_idle());
        }
    }

    #[test]
    fn the_frame_cap_is_checked_from_the_header() {
        let mut inbound = Inbound::new(4, 100);
        inbound.extend(&frame(true, Opcode::Text, b"12345")[..2]);
        assert_eq!(
            inbound.next_message(),
            Err(Error::FrameTooLarge { len: 5, max: 4 })
        );
    }

    #[test]
    fn the_message_cap_counts_every_fragment() {
        let mut inbound = Inbound::new(4, 6);
        inbound.extend(&frame(false, Opcode::Text, b"1234"));
        assert_eq!(inbound.next_message(), Ok(None));
        assert!(!inbound.is_idle(), "a message is open");
        inbound.extend(&frame(true, Opcode::Continuation, b"567"));
        assert!(matches!(
            inbound.next_message(),
            Err(Error::MessageTooLarge { max: 6, .. })
        ));
    }

    #[test]
    fn unmasked_and_out_of_order_frames_are_errors() {
        let mut inbound = Inbound::new(100, 100);
        inbound.extend(b"\x81\x03abc");
        assert_eq!(inbound.next_message(), Err(Error::Unmasked));
        let mut inbound = Inbound::new(100, 100);
        inbound.extend(&frame(true, Opcode::Continuation, b"x"));
        assert_eq!(inbound.next_message(), Err(Error::ContinuationWithoutStart));
    }

    proptest::proptest! {
        /// Hostile bytes in any split: an error or messages, never a panic, and the buffer never
        /// holds more than one capped frame (payload, 14 header bytes) plus the last read.
        #[test]
        fn hostile_bytes_never_panic_and_stay_bounded(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
            read in 1usize..64,
        ) {
            let mut inbound = Inbound::new(100, 300);
            for chunk in bytes.chunks(read) {
                inbound.read_buffer(read).extend_from_slice(chunk);
                let held = inbound.buf.len() - inbound.start;
                proptest::prop_assert!(held <= 100 + 14 + read);
                match inbound.next_message() {
                    Ok(Some(m)) => proptest::prop_assert!(m.payload.len() <= 300),
                    Ok(None) => {}
                    Err(_) => break,
                }
            }
        }
    }

    #[test]
    fn an_idle_stream_holds_no_buffer() {
        let mut inbound = Inbound::new(100, 100);
        inbound
            .read_buffer(4096)
            .extend_from_slice(&frame(true, Opcode::Text, b"hi"));
        assert_eq!(drain(&mut inbound).unwrap().len(), 1);
        assert_eq!(inbound.buf.capacity(), 0);
    }
}
