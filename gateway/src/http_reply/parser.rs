//! The [`Parser`] state machine: buffers reply bytes and turns them into [`Event`]s.

use std::collections::VecDeque;

use bytes::{Buf, BytesMut};

use super::chunked::{self, Decoder};
use super::head::{self, Framing};
use super::{Error, Event, Limits, RequestInfo};

/// Where the parser is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between responses: the next bytes are a head (leading blank lines are skipped).
    Head,
    /// Inside a body framed by `Content-Length` with this many bytes left.
    Length(u64),
    /// Inside a chunked body.
    Chunked(Decoder),
    /// Inside a body that ends when the handler closes.
    UntilClose,
    /// After 101: everything is raw stream bytes.
    Raw,
    /// After [`Parser::finish`].
    Closed,
}

/// The response parser for one client connection; see the [module docs](super).
#[derive(Debug)]
pub struct Parser {
    limits: Limits,
    buf: BytesMut,
    expected: VecDeque<RequestInfo>,
    state: State,
    /// Bytes at the start of `buf` already searched for the end of a head.
    scanned: usize,
    failed: Option<Error>,
}

impl Parser {
    /// A parser for a fresh connection, expecting no response yet.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            buf: BytesMut::new(),
            expected: VecDeque::new(),
            state: State::Head,
            scanned: 0,
            failed: None,
        }
    }

    /// Queues one more expected response (call it when a request is forwarded, in request
    /// order). Bytes the handler sent ahead of it are parsed now; their events go to `out`.
    pub fn expect(&mut self, request: RequestInfo, out: &mut Vec<Event>) -> Result<(), Error> {
        self.usable()?;
        if self.expected.len() >= self.limits.max_pending {
            return Err(self.record(Error::TooManyPending {
                limit: self.limits.max_pending,
            }));
        }
        self.expected.push_back(request);
        self.run(out)
    }

    /// Parses the body of one reply message. Events produced before an error are still
    /// pushed to `out`, so a response that completed before the bad bytes can be delivered.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Event>) -> Result<(), Error> {
        self.usable()?;
        self.buf.extend_from_slice(bytes);
        self.run(out)
    }

    /// The handler sent the empty (close) message: ends a read-until-close body or an upgraded
    /// stream, and reports a response cut short. Responses still awaited afterwards
    /// ([`Parser::awaiting`]) will never come.
    pub fn finish(&mut self, out: &mut Vec<Event>) -> Result<(), Error> {
        self.usable()?;
        let result = self.close(out);
        self.state = State::Closed;
        result.map_err(|error| self.record(error))
    }

    /// Responses expected (via [`Parser::expect`]) that have not ended yet, counting the
    /// one in progress.
    pub fn awaiting(&self) -> usize {
        self.expected.len()
    }

    /// Whether the connection switched protocols (101) and bytes now pass through raw.
    pub fn is_upgraded(&self) -> bool {
        self.state == State::Raw
    }

    fn usable(&self) -> Result<(), Error> {
        match (&self.failed, self.state) {
            (Some(error), _) => Err(error.clone()),
            (None, State::Closed) => Err(Error::AfterClose),
            (None, _) => Ok(()),
        }
    }

    fn record(&mut self, error: Error) -> Error {
        self.failed = Some(error.clone());
        error
    }

    fn run(&mut self, out: &mut Vec<Event>) -> Result<(), Error> {
        loop {
            match self.step() {
                Ok(Some(event)) => out.push(event),
                Ok(None) => return Ok(()),
                Err(error) => return Err(self.record(error)),
            }
        }
    }

    fn step(&mut self) -> Result<Option<Event>, Error> {
        match self.state {
            State::Head => self.step_head(),
            State::Length(0) => Ok(Some(self.end_response())),
            State::Length(left) => Ok(chunked::take_data(&mut self.buf, left).map(|data| {
                let taken = u64::try_from(data.len()).unwrap_or(u64::MAX);
                self.state = State::Length(left.saturating_sub(taken));
                Event::Body(data)
            })),
            State::Chunked(mut decoder) => {
                let step = decoder.step(&mut self.buf, &self.limits)?;
                self.state = State::Chunked(decoder);
                Ok(step.map(|step| match step {
                    chunked::Step::Data(data) => Event::Body(data),
                    chunked::Step::Done => self.end_response(),
                }))
            }
            State::UntilClose | State::Raw => {
                Ok((!self.buf.is_empty()).then(|| Event::Body(self.buf.split().freeze())))
            }
            State::Closed => Ok(None),
        }
    }

    fn step_head(&mut self) -> Result<Option<Event>, Error> {
        let blank = self
            .buf
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        self.buf.advance(blank);
        self.scanned = self.scanned.saturating_sub(blank);
        let Some(&request) = self.expected.front() else {
            if self.buf.len() > self.limits.max_unexpected_bytes {
                return Err(Error::UnexpectedBytes {
                    limit: self.limits.max_unexpected_bytes,
                });
            }
            return Ok(None);
        };
        let too_large = Error::HeadTooLarge {
            limit: self.limits.max_head_bytes,
        };
        let Some(end) = head::find_end(&self.buf, self.scanned) else {
            if self.buf.len() > self.limits.max_head_bytes {
                return Err(too_large);
            }
            self.scanned = head::resume_at(self.buf.len());
            return Ok(None);
        };
        if end > self.limits.max_head_bytes {
            return Err(too_large);
        }
        let bytes = self.buf.split_to(end).freeze();
        self.scanned = 0;
        let parsed = head::parse(&bytes, &self.limits)?;
        if parsed.status == http::StatusCode::SWITCHING_PROTOCOLS {
            self.expected.pop_front();
            self.state = State::Raw;
            return Ok(Some(Event::Upgrade(parsed)));
        }
        if parsed.status.is_informational() {
            return Ok(Some(Event::Informational(parsed)));
        }
        let framing = if request.head_method {
            Framing::Length(0)
        } else {
            head::framing(&parsed)?
        };
        self.state = match framing {
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::Chunked(Decoder::new()),
            Framing::UntilClose => State::UntilClose,
        };
        Ok(Some(Event::Head(parsed)))
    }

    fn end_response(&mut self) -> Event {
        self.expected.pop_front();
        self.state = State::Head;
        Event::End
    }

    fn close(&mut self, out: &mut Vec<Event>) -> Result<(), Error> {
        match self.state {
            State::Head => {
                let blank = self
                    .buf
                    .iter()
                    .take_while(|&&b| b == b'\r' || b == b'\n')
                    .count();
                match (self.buf.len() > blank, self.expected.is_empty()) {
                    (false, _) => Ok(()),
                    (true, false) => Err(Error::TruncatedHead),
                    (true, true) => Err(Error::UnexpectedBytes {
                        limit: self.limits.max_unexpected_bytes,
                    }),
                }
            }
            State::Length(_) | State::Chunked(_) => Err(Error::TruncatedBody),
            State::UntilClose => {
                out.push(self.end_response());
                Ok(())
            }
            State::Raw => {
                out.push(Event::End);
                Ok(())
            }
            State::Closed => Ok(()),
        }
    }
}
