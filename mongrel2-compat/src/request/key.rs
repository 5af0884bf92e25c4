//! The names Mongrel2 uses in request headers and frames, spelled once.
//!
//! Mongrel2's own keys are upper-case except `x-forwarded-for` and the `x-mongrel2-upload-*`
//! pair; client header names are always lower-case. Values are compared byte for byte.

/// The request path (first key in JSON, ninth in tnetstring order).
pub const PATH: &[u8] = b"PATH";
/// The request method, or `JSON`/`XML`/`WEBSOCKET_HANDSHAKE`/`WEBSOCKET`.
pub const METHOD: &[u8] = b"METHOD";
/// `HTTP/1.0` or `HTTP/1.1` (HTTP requests only).
pub const VERSION: &[u8] = b"VERSION";
/// Path plus `?query`, never the fragment (HTTP requests only).
pub const URI: &[u8] = b"URI";
/// Text after `?`, present iff the URI had a `?`.
pub const QUERY: &[u8] = b"QUERY";
/// Text after `#`, present iff the request line had a `#`.
pub const FRAGMENT: &[u8] = b"FRAGMENT";
/// The matching route's pattern exactly as configured.
pub const PATTERN: &[u8] = b"PATTERN";
/// `http` or `https`.
pub const URL_SCHEME: &[u8] = b"URL_SCHEME";
/// The peer address as text.
pub const REMOTE_ADDR: &[u8] = b"REMOTE_ADDR";
/// The peer address again, replacing any client value (a header-table key, lower-case).
pub const X_FORWARDED_FOR: &[u8] = b"x-forwarded-for";
/// WebSocket frame flags, `0x81` etc. (see [`super::websocket_flags`]).
pub const FLAGS: &[u8] = b"FLAGS";
/// Download flow-control credits: `102400` on requests, bytes written on credit notices.
pub const DOWNLOAD_CREDITS: &[u8] = b"DOWNLOAD_CREDITS";
/// Byte offset of an upload-stream piece.
pub const UPLOAD_STREAM: &[u8] = b"UPLOAD_STREAM";
/// `1` on the last upload-stream piece.
pub const UPLOAD_STREAM_DONE: &[u8] = b"UPLOAD_STREAM_DONE";
/// Temp file of a large upload, on the first message (lower-case, as Mongrel2 spells it).
pub const UPLOAD_START: &[u8] = b"x-mongrel2-upload-start";
/// Same temp file, on the second message once the body is on disk.
pub const UPLOAD_DONE: &[u8] = b"x-mongrel2-upload-done";

/// The frame PATH of disconnect and credits notices.
pub const NOTICE_PATH: &[u8] = b"@*";
/// METHOD of JSON-socket messages and of notices.
pub const METHOD_JSON: &[u8] = b"JSON";
/// METHOD of XML-socket messages.
pub const METHOD_XML: &[u8] = b"XML";
/// METHOD of the WebSocket upgrade request (body = the `Sec-WebSocket-Accept` value).
pub const METHOD_WEBSOCKET_HANDSHAKE: &[u8] = b"WEBSOCKET_HANDSHAKE";
/// METHOD of each WebSocket message after the handshake.
pub const METHOD_WEBSOCKET: &[u8] = b"WEBSOCKET";
/// Body of a disconnect notice (JSON text in both protocols).
pub const DISCONNECT_BODY: &[u8] = br#"{"type":"disconnect"}"#;
/// Body of a credits notice (JSON text in both protocols).
pub const CREDITS_BODY: &[u8] = br#"{"type":"credits"}"#;
