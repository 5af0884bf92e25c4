//! The reduced messages Mongrel2 sends besides requests (docs §4.1, §4.2, §4.4): disconnect and
//! credits notices (PATH `@*`) and the follow-up pieces of a streamed upload.
//!
//! Their header objects are not built from a request's table but written directly, so their key
//! order is fixed; the tnetstring forms reverse it, as Mongrel2 renders dicts back to front.
//! The bodies of notices are JSON text in both protocols.

use std::borrow::Cow;

use super::encode::push_decimal;
use super::{key, HeaderValue, Headers, Protocol, Request};

/// The `FLAGS` value of a WebSocket message: `0x` and the upper-case hex of the frame's first
/// byte with the FIN bit set (`0x81` text, `0x82` binary, `0x88` close, `0x89` ping, `0x8A`
/// pong); a fragmented message reports its first frame's byte.
pub fn websocket_flags(first_byte: u8) -> [u8; 4] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let byte = first_byte | 0x80;
    [
        b'0',
        b'x',
        HEX[usize::from(byte >> 4)],
        HEX[usize::from(byte & 0x0f)],
    ]
}

/// Appends the disconnect notice for `conn_id`:
/// `SENDER ID @* 17:{"METHOD":"JSON"},21:{"type":"disconnect"},` (JSON) or
/// `SENDER ID @* 16:6:METHOD,4:JSON,}21:{"type":"disconnect"},` (tnetstring).
/// `sender` must be non-empty and free of spaces.
pub fn encode_disconnect(sender: &[u8], conn_id: u64, protocol: Protocol, out: &mut Vec<u8>) {
    Request::disconnect(sender, conn_id, protocol).encode(out);
}

/// Appends the download-credits notice reporting `credits` bytes written to the client:
/// `{"METHOD":"JSON","DOWNLOAD_CREDITS":"N"}` (JSON) or the dict with `DOWNLOAD_CREDITS` first
/// (tnetstring), body `{"type":"credits"}`. `sender` must be non-empty and free of spaces.
pub fn encode_credits(
    sender: &[u8],
    conn_id: u64,
    protocol: Protocol,
    credits: u64,
    out: &mut Vec<u8>,
) {
    Request::credits(sender, conn_id, protocol, credits).encode(out);
}

/// Appends a follow-up piece of a streamed upload (`upload.stream=1`): headers reduced to
/// `{"UPLOAD_STREAM":"<offset>"}`, plus `"UPLOAD_STREAM_DONE":"1"` on the last piece, under the
/// request's own PATH field; `offset` is the position of `body` in the request body.
/// `sender` and `path` must be non-empty and free of spaces.
#[allow(
    clippy::too_many_arguments,
    reason = "mirrors the frame's fields one to one"
)]
pub fn encode_upload_piece(
    sender: &[u8],
    conn_id: u64,
    protocol: Protocol,
    path: &[u8],
    offset: u64,
    done: bool,
    body: &[u8],
    out: &mut Vec<u8>,
) {
    Request::upload_piece(sender, conn_id, protocol, path, offset, done, body).encode(out);
}

impl<'a> Request<'a> {
    /// The disconnect notice for `conn_id` as a [`Request`] (see [`encode_disconnect`]).
    pub fn disconnect(sender: &'a [u8], conn_id: u64, protocol: Protocol) -> Self {
        let headers = [pair(key::METHOD, Cow::Borrowed(key::METHOD_JSON))]
            .into_iter()
            .collect();
        notice(sender, conn_id, protocol, headers, key::DISCONNECT_BODY)
    }

    /// The download-credits notice as a [`Request`] (see [`encode_credits`]).
    pub fn credits(sender: &'a [u8], conn_id: u64, protocol: Protocol, credits: u64) -> Self {
        let pairs = [
            pair(key::METHOD, Cow::Borrowed(key::METHOD_JSON)),
            pair(key::DOWNLOAD_CREDITS, decimal(credits)),
        ];
        notice(
            sender,
            conn_id,
            protocol,
            in_order(protocol, pairs),
            key::CREDITS_BODY,
        )
    }

    /// A streamed-upload follow-up piece as a [`Request`] (see [`encode_upload_piece`]).
    pub fn upload_piece(
        sender: &'a [u8],
        conn_id: u64,
        protocol: Protocol,
        path: &'a [u8],
        offset: u64,
        done: bool,
        body: &'a [u8],
    ) -> Self {
        let mut pairs = vec![pair(key::UPLOAD_STREAM, decimal(offset))];
        if done {
            pairs.push(pair(key::UPLOAD_STREAM_DONE, Cow::Borrowed(b"1")));
        }
        let headers = in_order(protocol, pairs);
        Request {
            sender,
            conn_id,
            path,
            headers,
            body,
            protocol,
        }
    }
}

/// A notice: PATH `@*`, the given headers, a JSON body.
fn notice<'a>(
    sender: &'a [u8],
    conn_id: u64,
    protocol: Protocol,
    headers: Headers<'a>,
    body: &'a [u8],
) -> Request<'a> {
    Request {
        sender,
        conn_id,
        path: key::NOTICE_PATH,
        headers,
        body,
        protocol,
    }
}

/// Pairs given in JSON order, reversed for tnetstring.
fn in_order<'a>(
    protocol: Protocol,
    pairs: impl IntoIterator<Item = (Cow<'a, [u8]>, HeaderValue<'a>), IntoIter: DoubleEndedIterator>,
) -> Headers<'a> {
    match protocol {
        Protocol::Json => pairs.into_iter().collect(),
        Protocol::Tnetstring => pairs.into_iter().rev().collect(),
    }
}

/// One key with a single value.
fn pair<'a>(key: &'static [u8], value: Cow<'a, [u8]>) -> (Cow<'a, [u8]>, HeaderValue<'a>) {
    (Cow::Borrowed(key), HeaderValue::One(value))
}

/// `n` as decimal text (Mongrel2 sends numbers as strings).
fn decimal(n: u64) -> Cow<'static, [u8]> {
    let mut text = Vec::new();
    push_decimal(&mut text, n);
    Cow::Owned(text)
}
