//! What a handler receives, typed: the kinds of docs/mongrel2-protocol.md §4.8 told apart.
//!
//! Every message on the wire is a request frame ([`crate::request`]); which kind it is follows
//! from its PATH, `METHOD` and a few special keys. [`classify`] makes that decision once, in the
//! order Mongrel2's messages require:
//!
//! | frame | [`Message`] |
//! |---|---|
//! | PATH `@*`, body `{"type":"disconnect"}` | [`Message::Disconnect`] |
//! | PATH `@*`, body `{"type":"credits"}`, `DOWNLOAD_CREDITS` | [`Message::Credits`] |
//! | `UPLOAD_STREAM` (first piece has all keys, later ones only this) | [`Message::UploadStream`] |
//! | `x-mongrel2-upload-done` (the start key is still there) | [`Message::UploadDone`] |
//! | `x-mongrel2-upload-start` | [`Message::UploadStart`] |
//! | `METHOD` `WEBSOCKET_HANDSHAKE`, body = accept value | [`Message::WebSocketHandshake`] |
//! | `METHOD` `WEBSOCKET`, `FLAGS` | [`Message::WebSocket`] |
//! | `METHOD` `JSON` / `XML` | [`Message::JsonSocket`] / [`Message::XmlSocket`] |
//! | any other `METHOD` | [`Message::Http`] |
//!
//! ```
//! use mongrel2_compat::message::Message;
//!
//! let frame = br#"34f9ceee-cd52-4b7f-b197-88bf2f0ec378 12 @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},"#;
//! let message = Message::decode(frame).unwrap();
//! assert!(matches!(message, Message::Disconnect { conn_id: 12, .. }));
//! assert_eq!(message.sender(), b"34f9ceee-cd52-4b7f-b197-88bf2f0ec378");
//! ```

mod classify;

use std::borrow::Cow;

use crate::request::{self, Request};
use crate::websocket::{self, Opcode};

/// One message from the server, by kind. Variants that keep the [`Request`] let the handler read
/// any header; the extracted fields are the ones each kind is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// An ordinary HTTP request, body inline.
    Http(Request<'a>),
    /// The client connection is gone (§4.1); also the answer to a reply sent to a dead id.
    Disconnect {
        /// The sender the notice came from (reply UUID for that server).
        sender: &'a [u8],
        /// The connection that ended.
        conn_id: u64,
    },
    /// `download.flow_control=1`: this many bytes were written to the client (§4.2).
    Credits {
        /// The sender the notice came from.
        sender: &'a [u8],
        /// The connection written to.
        conn_id: u64,
        /// Bytes written, from `DOWNLOAD_CREDITS`.
        credits: u64,
    },
    /// A large body is being written to a temp file (§4.3); the body here is empty.
    UploadStart {
        /// The request headers.
        request: Request<'a>,
        /// `x-mongrel2-upload-start`: the temp file (a path inside Mongrel2's chroot).
        temp_path: Cow<'a, [u8]>,
    },
    /// The temp file of [`Message::UploadStart`] is complete; the handler must delete it.
    UploadDone {
        /// The request headers.
        request: Request<'a>,
        /// `x-mongrel2-upload-done`: the same temp file.
        temp_path: Cow<'a, [u8]>,
    },
    /// A piece of a streamed upload (`upload.stream=1`, §4.4); grant more with a `ctl` credits
    /// reply. After the first piece the headers hold only the `UPLOAD_STREAM*` keys.
    UploadStream {
        /// The (possibly reduced) request.
        request: Request<'a>,
        /// `UPLOAD_STREAM`: where `data` starts in the request body.
        offset: u64,
        /// `UPLOAD_STREAM_DONE` present: this is the last piece.
        done: bool,
        /// The piece.
        data: &'a [u8],
    },
    /// A WebSocket upgrade (§4.5): the handler must send the `101` itself.
    WebSocketHandshake {
        /// The upgrade request.
        request: Request<'a>,
        /// The body: the `Sec-WebSocket-Accept` value Mongrel2 computed.
        accept: &'a [u8],
    },
    /// One complete client WebSocket message, unmasked and reassembled.
    WebSocket {
        /// The handshake's keys again, plus `FLAGS`.
        request: Request<'a>,
        /// The `FLAGS` byte: the first frame's first byte with FIN set (`0x81` text...).
        flags: u8,
        /// The message's opcode (a control opcode for close/ping/pong).
        opcode: Opcode,
        /// The payload.
        data: &'a [u8],
    },
    /// A JSON-socket message (`@name {...}\0`, §4.6), path `@name`.
    JsonSocket {
        /// The request (few keys: PATH, METHOD, PATTERN...).
        request: Request<'a>,
        /// The JSON text without the NUL.
        body: &'a [u8],
    },
    /// An XML-socket message (`<tag ...>\0`), path `<tag`.
    XmlSocket {
        /// The request.
        request: Request<'a>,
        /// The XML text.
        body: &'a [u8],
    },
}

/// Why a well-formed request frame is not a message of any known kind.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum Error {
    /// The frame is not a request frame at all.
    #[error(transparent)]
    Request(#[from] request::Error),
    /// A `@*` notice whose body is neither the disconnect nor the credits JSON.
    #[error("notice body is neither disconnect nor credits: {body:?}")]
    UnknownNotice {
        /// Excerpt of the body.
        body: String,
    },
    /// A key the message kind requires is absent (`DOWNLOAD_CREDITS`, `FLAGS`).
    #[error("{kind} message has no {key} key")]
    MissingKey {
        /// The message kind.
        kind: &'static str,
        /// The missing key.
        key: &'static str,
    },
    /// A key that must be a decimal number is not (`DOWNLOAD_CREDITS`, `UPLOAD_STREAM`).
    #[error("{key} value {value:?} is not a decimal number")]
    NotANumber {
        /// The key.
        key: &'static str,
        /// Excerpt of the value.
        value: String,
    },
    /// `FLAGS` is not a valid WebSocket first byte.
    #[error("FLAGS value {value:?}: {source}")]
    Flags {
        /// Excerpt of the value.
        value: String,
        /// What is wrong with it.
        source: websocket::Error,
    },
    /// Neither a notice nor an upload piece, yet no `METHOD`.
    #[error("message has no METHOD")]
    NoMethod,
}

/// Decides what kind of message a decoded request frame is (see the table in the module doc).
pub fn classify(request: Request<'_>) -> Result<Message<'_>, Error> {
    classify::classify(request)
}

impl<'a> Message<'a> {
    /// Decodes a request frame and classifies it.
    pub fn decode(frame: &'a [u8]) -> Result<Message<'a>, Error> {
        classify(request::decode(frame)?)
    }

    /// Same as [`classify`].
    pub fn from_request(request: Request<'a>) -> Result<Message<'a>, Error> {
        classify(request)
    }

    /// The sender id: the UUID a reply to this message carries.
    pub fn sender(&self) -> &'a [u8] {
        match (self, self.request()) {
            (Message::Disconnect { sender, .. } | Message::Credits { sender, .. }, _) => sender,
            (_, Some(request)) => request.sender,
            (_, None) => &[],
        }
    }

    /// The connection id a reply to this message is addressed to.
    pub fn conn_id(&self) -> u64 {
        match (self, self.request()) {
            (Message::Disconnect { conn_id, .. } | Message::Credits { conn_id, .. }, _) => *conn_id,
            (_, Some(request)) => request.conn_id,
            (_, None) => 0,
        }
    }

    /// The request of every kind but the two notices.
    pub fn request(&self) -> Option<&Request<'a>> {
        match self {
            Message::Http(request)
            | Message::UploadStart { request, .. }
            | Message::UploadDone { request, .. }
            | Message::UploadStream { request, .. }
            | Message::WebSocketHandshake { request, .. }
            | Message::WebSocket { request, .. }
            | Message::JsonSocket { request, .. }
            | Message::XmlSocket { request, .. } => Some(request),
            Message::Disconnect { .. } | Message::Credits { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests;
