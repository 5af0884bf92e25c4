//! Fragment reassembly: Mongrel2 sends the handler one message per complete client message,
//! reported with the first frame's opcode and flags.

use super::{flags_string, Error, Frame, Opcode};

/// Default cap on a reassembled message. Mongrel2 has none; we refuse to grow past it.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// A complete client message, as Mongrel2 forwards it to the handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The first byte of the message's first frame (for a fragmented text message `0x01`).
    pub first_byte: u8,
    /// The first frame's opcode: never [`Opcode::Continuation`].
    pub opcode: Opcode,
    /// The payloads of all its frames, concatenated.
    pub payload: Vec<u8>,
}

impl Message {
    /// The `FLAGS` header value Mongrel2 sends with this message (`0x81` for text, also when it
    /// arrived fragmented).
    pub fn flags(&self) -> String {
        flags_string(self.first_byte)
    }
}

/// The message being reassembled.
#[derive(Debug)]
struct Partial {
    first_byte: u8,
    opcode: Opcode,
    payload: Vec<u8>,
}

/// Joins fragmented frames into messages. Control frames may arrive between fragments and are
/// returned at once; the open message is kept.
#[derive(Debug)]
pub struct Reassembler {
    max_message: usize,
    partial: Option<Partial>,
}

impl Default for Reassembler {
    /// A reassembler capped at [`DEFAULT_MAX_MESSAGE_SIZE`].
    fn default() -> Self {
        Reassembler::new(DEFAULT_MAX_MESSAGE_SIZE)
    }
}

impl Reassembler {
    /// A reassembler that refuses messages larger than `max_message` bytes.
    pub fn new(max_message: usize) -> Reassembler {
        Reassembler {
            max_message,
            partial: None,
        }
    }

    /// Whether a fragmented message is open (its first frame arrived, its last has not).
    pub fn in_message(&self) -> bool {
        self.partial.is_some()
    }

    /// Takes the next decoded frame; returns a message when one is complete. After an error the
    /// connection must be closed (the reassembler's state is then unspecified).
    pub fn push(&mut self, frame: Frame) -> Result<Option<Message>, Error> {
        let Frame {
            first_byte,
            fin,
            opcode,
            payload,
        } = frame;
        if opcode.is_control() {
            return Ok(Some(Message {
                first_byte,
                opcode,
                payload,
            }));
        }
        self.check_size(0, payload.len())?;
        match (opcode, self.partial.take()) {
            (Opcode::Continuation, None) => Err(Error::ContinuationWithoutStart),
            (Opcode::Continuation, Some(mut partial)) => {
                self.check_size(partial.payload.len(), payload.len())?;
                partial.payload.extend_from_slice(&payload);
                if fin {
                    let Partial {
                        first_byte,
                        opcode,
                        payload,
                    } = partial;
                    Ok(Some(Message {
                        first_byte,
                        opcode,
                        payload,
                    }))
                } else {
                    self.partial = Some(partial);
                    Ok(None)
                }
            }
            (data, Some(_)) => Err(Error::DataFrameInFragmentedMessage(data)),
            (data, None) if fin => Ok(Some(Message {
                first_byte,
                opcode: data,
                payload,
            })),
            (data, None) => {
                self.partial = Some(Partial {
                    first_byte,
                    opcode: data,
                    payload,
                });
                Ok(None)
            }
        }
    }

    /// Fails if a message of `held` bytes would exceed the cap after `more` bytes are added.
    fn check_size(&self, held: usize, more: usize) -> Result<(), Error> {
        match held.checked_add(more) {
            Some(total) if total <= self.max_message => Ok(()),
            total => Err(Error::MessageTooLarge {
                len: total.map_or(u64::MAX, |t| t as u64),
                max: self.max_message,
            }),
        }
    }
}
