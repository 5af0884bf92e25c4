//! The decision of [`super::classify`]: which kind of message a request frame is, and the
//! fields each kind carries, checked.

use std::borrow::Cow;

use super::{Error, Message};
use crate::request::{key, HeaderValue, Request};
use crate::websocket;

/// See [`super::classify`].
pub(super) fn classify(request: Request<'_>) -> Result<Message<'_>, Error> {
    if request.is_notice() {
        return notice(request);
    }
    if let Some(offset) = request.headers.get(key::UPLOAD_STREAM) {
        let offset = number("UPLOAD_STREAM", offset)?;
        let done = request.headers.get(key::UPLOAD_STREAM_DONE).is_some();
        let data = request.body;
        return Ok(Message::UploadStream {
            request,
            offset,
            done,
            data,
        });
    }
    if let Some(temp_path) = first_cow(&request, key::UPLOAD_DONE) {
        return Ok(Message::UploadDone { request, temp_path });
    }
    if let Some(temp_path) = first_cow(&request, key::UPLOAD_START) {
        return Ok(Message::UploadStart { request, temp_path });
    }
    let method = request.method().ok_or(Error::NoMethod)?;
    let body = request.body;
    Ok(match method {
        key::METHOD_WEBSOCKET_HANDSHAKE => Message::WebSocketHandshake {
            request,
            accept: body,
        },
        key::METHOD_WEBSOCKET => websocket_message(request)?,
        key::METHOD_JSON => Message::JsonSocket { request, body },
        key::METHOD_XML => Message::XmlSocket { request, body },
        _ => Message::Http(request),
    })
}

/// A `@*` notice: disconnect or credits, told apart by the body.
fn notice(request: Request<'_>) -> Result<Message<'_>, Error> {
    let (sender, conn_id) = (request.sender, request.conn_id);
    match request.body {
        key::DISCONNECT_BODY => Ok(Message::Disconnect { sender, conn_id }),
        key::CREDITS_BODY => {
            let value = request
                .headers
                .get(key::DOWNLOAD_CREDITS)
                .ok_or(Error::MissingKey {
                    kind: "credits",
                    key: "DOWNLOAD_CREDITS",
                })?;
            let credits = number("DOWNLOAD_CREDITS", value)?;
            Ok(Message::Credits {
                sender,
                conn_id,
                credits,
            })
        }
        body => Err(Error::UnknownNotice {
            body: excerpt(body),
        }),
    }
}

fn websocket_message(request: Request<'_>) -> Result<Message<'_>, Error> {
    let value = request.headers.get(key::FLAGS).ok_or(Error::MissingKey {
        kind: "WEBSOCKET",
        key: "FLAGS",
    })?;
    let text = value.first();
    let flags_error = |source| Error::Flags {
        value: excerpt(text),
        source,
    };
    let flags = websocket::flags_byte(text).map_err(flags_error)?;
    let (_, opcode) = websocket::parse_flags(text).map_err(flags_error)?;
    let data = request.body;
    Ok(Message::WebSocket {
        request,
        flags,
        opcode,
        data,
    })
}

/// The (first) value of `name`, borrowed from the frame when it was not unescaped.
fn first_cow<'a>(request: &Request<'a>, name: &[u8]) -> Option<Cow<'a, [u8]>> {
    match request.headers.get(name)? {
        HeaderValue::One(value) => Some(value.clone()),
        HeaderValue::Many(values) => values.first().cloned(),
    }
}

/// A decimal `u64` header value, digits only, overflow refused.
fn number(name: &'static str, value: &HeaderValue<'_>) -> Result<u64, Error> {
    let text = value.first();
    let not_a_number = || Error::NotANumber {
        key: name,
        value: excerpt(text),
    };
    if text.is_empty() {
        return Err(not_a_number());
    }
    text.iter().try_fold(0u64, |n, &digit| {
        let digit = digit
            .checked_sub(b'0')
            .filter(|d| *d < 10)
            .ok_or_else(not_a_number)?;
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(digit)))
            .ok_or_else(not_a_number)
    })
}

/// Longest excerpt of peer data kept in an error.
const EXCERPT_MAX: usize = 32;

fn excerpt(data: &[u8]) -> String {
    let cut = data.get(..EXCERPT_MAX).unwrap_or(data);
    String::from_utf8_lossy(cut).into_owned()
}
