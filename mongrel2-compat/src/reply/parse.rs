//! The scanner for `UUID SP LEN ':' ['X' SP] ids ',' SP`, walking the frame left to right as
//! Mongrel2's Ragel machine does, so the first rule broken is the one reported.

use super::Error;

/// Everything before the body, plus the body.
pub(super) struct Head<'a> {
    pub(super) uuid: &'a [u8],
    pub(super) extended: bool,
    pub(super) ids: Vec<u64>,
    pub(super) body: &'a [u8],
}

/// Parses the head of a reply frame; the body is the rest of the frame.
pub(super) fn head(frame: &[u8], max_ids: usize) -> Result<Head<'_>, Error> {
    let mut cursor = Cursor { frame, pos: 0 };
    let uuid = cursor.uuid()?;
    let declared = cursor.length()?;
    let ids_start = cursor.pos;
    let extended = cursor.extended_marker()?;
    let ids = cursor.ids(max_ids)?;
    let actual = cursor.pos - ids_start;
    if actual != declared {
        return Err(Error::LengthMismatch { declared, actual });
    }
    cursor.pos += 1; // the ',' that ended the id list
    match cursor.peek() {
        None => {
            return Err(Error::Truncated {
                field: "space after ','",
            })
        }
        Some(b' ') => cursor.pos += 1,
        Some(found) => return Err(Error::MissingSpace { found }),
    }
    if ids.is_empty() {
        return Err(Error::NoIds);
    }
    let body = frame.get(cursor.pos..).unwrap_or_default();
    Ok(Head {
        uuid,
        extended,
        ids,
        body,
    })
}

struct Cursor<'a> {
    frame: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.frame.get(self.pos).copied()
    }

    /// `[A-Za-z0-9-]+ ' '`; returns the UUID without the space.
    fn uuid(&mut self) -> Result<&'a [u8], Error> {
        while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'-') {
            self.pos += 1;
        }
        let uuid = &self.frame[..self.pos];
        match self.peek() {
            None => Err(Error::Truncated { field: "UUID" }),
            Some(b' ') if uuid.is_empty() => Err(Error::UuidEmpty),
            Some(b' ') => {
                self.pos += 1;
                Ok(uuid)
            }
            Some(found) => Err(Error::UuidByte {
                offset: self.pos,
                found,
            }),
        }
    }

    /// `digit+ ':'`; returns the declared length of the id list.
    fn length(&mut self) -> Result<usize, Error> {
        match self.peek() {
            None => {
                return Err(Error::Truncated {
                    field: "id-list length",
                })
            }
            Some(b'0'..=b'9') => {}
            Some(found) => return Err(Error::LengthNotDigit { found }),
        }
        let mut declared: usize = 0;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            declared = declared
                .checked_mul(10)
                .and_then(|n| n.checked_add(usize::from(digit - b'0')))
                .ok_or(Error::LengthOverflow)?;
            self.pos += 1;
        }
        match self.peek() {
            None => Err(Error::Truncated {
                field: "id-list length",
            }),
            Some(b':') => {
                self.pos += 1;
                Ok(declared)
            }
            Some(found) => Err(Error::LengthColon { found }),
        }
    }

    /// An optional `X ` at the very start of the id list.
    fn extended_marker(&mut self) -> Result<bool, Error> {
        if self.peek() != Some(b'X') {
            return Ok(false);
        }
        self.pos += 1;
        match self.peek() {
            None => Err(Error::Truncated { field: "id list" }),
            Some(b' ') => {
                self.pos += 1;
                Ok(true)
            }
            Some(found) => Err(Error::IdsByte {
                offset: self.pos,
                found,
            }),
        }
    }

    /// `(digit+ ' '?)*` up to (not past) the closing `,`.
    fn ids(&mut self, max_ids: usize) -> Result<Vec<u64>, Error> {
        let mut ids = Vec::new();
        loop {
            match self.peek() {
                None => return Err(Error::Truncated { field: "id list" }),
                Some(b',') => return Ok(ids),
                Some(b'0'..=b'9') => {
                    let id = self.id()?;
                    if ids.len() >= max_ids {
                        return Err(Error::TooManyIds { max: max_ids });
                    }
                    ids.push(id);
                    if self.peek() == Some(b' ') {
                        self.pos += 1;
                    }
                }
                Some(found) => {
                    return Err(Error::IdsByte {
                        offset: self.pos,
                        found,
                    })
                }
            }
        }
    }

    /// `digit+` as a `u64`.
    fn id(&mut self) -> Result<u64, Error> {
        let offset = self.pos;
        let mut id: u64 = 0;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            id = id
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(digit - b'0')))
                .ok_or(Error::IdOverflow { offset })?;
            self.pos += 1;
        }
        Ok(id)
    }
}
