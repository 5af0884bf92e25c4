//! The JSON/XML socket wire format, sans-IO: NUL-terminated messages (docs §4.6).
//!
//! `@path {json}\0` is a JSON message for the route `@path`; `<tag ...>...\0` an XML message for
//! the route `<tag`; `<policy-file-request/>\0` asks for Flash's cross-domain policy; a JSON
//! message matching `@[a-z/]* {"type":<spaces>"ping"}` only keeps the connection alive.

/// Longest message (without its NUL) a client may send before the connection is closed. Mongrel2
/// parses these messages inside its `limits.buffer_size` (4 KiB) read buffer; we allow more
/// room for chat-sized JSON but still cap what one client can make us hold.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The request Flash sends for its socket policy.
pub const POLICY_REQUEST: &[u8] = b"<policy-file-request/>";

/// Mongrel2's answer to [`POLICY_REQUEST`] (sent with a NUL, then the socket is closed).
pub const POLICY: &[u8] = b"<?xml version=\"1.0\"?><!DOCTYPE cross-domain-policy SYSTEM \"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd\"><cross-domain-policy> <allow-access-from domain=\"*\" to-ports=\"*\" /></cross-domain-policy>";

/// One client message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// `@path json`: METHOD `JSON`, PATH `@path`, body the JSON text.
    Json {
        /// `@path`, the routing key and the PATH field.
        path: &'a [u8],
        /// The JSON text after the space.
        body: &'a [u8],
    },
    /// `<tag ...>`: METHOD `XML`, PATH `<tag`, body the whole XML text.
    Xml {
        /// `<tag`, the routing key and the PATH field.
        path: &'a [u8],
        /// The message as sent.
        body: &'a [u8],
    },
    /// A JSON ping: refreshes the idle timer, never forwarded.
    Ping,
    /// `<policy-file-request/>`.
    PolicyRequest,
}

/// Why a message is refused (the connection is closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No NUL within [`MAX_MESSAGE_BYTES`].
    #[error("message longer than {max} bytes")]
    TooLong {
        /// The cap.
        max: usize,
    },
    /// A JSON message without `@path` and a space, or with an empty path.
    #[error("JSON message without `@path ` in front")]
    BadPath,
    /// An XML message without a tag name.
    #[error("XML message without a tag name")]
    BadTag,
    /// Neither `@` nor `<` in front.
    #[error("message is neither JSON (`@`) nor XML (`<`)")]
    Unknown,
}

/// Splits the buffered bytes into NUL-terminated messages.
#[derive(Debug, Default)]
pub struct Splitter {
    buf: Vec<u8>,
}

impl Splitter {
    /// The buffer to read into (append only).
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// The next complete message without its NUL, `None` until one is complete. Fails when
    /// more than [`MAX_MESSAGE_BYTES`] arrived without a NUL.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, Error> {
        match self.buf.iter().position(|&b| b == 0) {
            Some(end) if end <= MAX_MESSAGE_BYTES => {
                let mut message: Vec<u8> = self.buf.drain(..=end).collect();
                message.pop();
                if self.buf.is_empty() {
                    self.buf = Vec::new();
                }
                Ok(Some(message))
            }
            None if self.buf.len() <= MAX_MESSAGE_BYTES => Ok(None),
            _ => Err(Error::TooLong {
                max: MAX_MESSAGE_BYTES,
            }),
        }
    }
}

/// Reads one message (without its NUL).
pub fn parse(message: &[u8]) -> Result<Parsed<'_>, Error> {
    match message.first() {
        Some(b'@') => {
            let space = message
                .iter()
                .position(|&b| b == b' ')
                .ok_or(Error::BadPath)?;
            let (path, body) = (&message[..space], &message[space + 1..]);
            if path.len() < 2 {
                return Err(Error::BadPath);
            }
            if is_ping(path, body) {
                return Ok(Parsed::Ping);
            }
            Ok(Parsed::Json { path, body })
        }
        Some(b'<') if message == POLICY_REQUEST => Ok(Parsed::PolicyRequest),
        Some(b'<') => {
            let end = message
                .iter()
                .skip(1)
                .position(|&b| matches!(b, b' ' | b'/' | b'>' | b'\t' | b'\r' | b'\n'))
                .map_or(message.len(), |n| n + 1);
            if end < 2 {
                return Err(Error::BadTag);
            }
            Ok(Parsed::Xml {
                path: &message[..end],
                body: message,
            })
        }
        _ => Err(Error::Unknown),
    }
}

/// Mongrel2's ping rule: `@[a-z/]* {"type":<spaces>"ping"}`.
fn is_ping(path: &[u8], body: &[u8]) -> bool {
    let path_ok = path[1..]
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b == b'/');
    let Some(rest) = body.strip_prefix(b"{\"type\":") else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    path_ok && rest == b"\"ping\"}"
}

/// A reply body as the client gets it: base64 of the body without one trailing NUL (Mongrel2's
/// default), or the body as is for a handler with `raw_payload`.
pub fn encode_reply(body: &[u8], raw_payload: bool) -> Vec<u8> {
    use base64::Engine as _;
    if raw_payload {
        return body.to_vec();
    }
    let body = body.strip_suffix(b"\0").unwrap_or(body);
    base64::engine::general_purpose::STANDARD
        .encode(body)
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_at_nul_whatever_the_reads() {
        let wire =
            b"@chat {\"type\":\"join\"}\0@chat {\"type\":\"ping\"}\0<policy-file-request/>\0";
        let mut splitter = Splitter::default();
        let mut got = Vec::new();
        for byte in wire {
            splitter.buffer().push(*byte);
            while let Some(m) = splitter.next_message().unwrap() {
                got.push(m);
            }
        }
        let parsed: Vec<_> = got.iter().map(|m| parse(m).unwrap()).collect();
        assert_eq!(
            parsed,
            vec![
                Parsed::Json {
                    path: b"@chat",
                    body: b"{\"type\":\"join\"}"
                },
                Parsed::Ping,
                Parsed::PolicyRequest,
            ]
        );
    }

    proptest::proptest! {
        /// Hostile bytes: parsed or refused, never a panic.
        #[test]
        fn hostile_messages_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let mut splitter = Splitter::default();
            splitter.buffer().extend_from_slice(&bytes);
            while let Ok(Some(message)) = splitter.next_message() {
                let _either = parse(&message);
            }
            let _encoded = encode_reply(&bytes, false);
        }
    }

    #[test]
    fn a_message_without_nul_is_capped() {
        let mut splitter = Splitter::default();
        splitter.buffer().resize(MAX_MESSAGE_BYTES + 1, b'a');
        assert_eq!(
            splitter.next_message(),
            Err(Error::TooLong {
                max: MAX_MESSAGE_BYTES
            })
        );
    }

    #[test]
    fn pings_follow_mongrel2s_pattern_only() {
        assert_eq!(parse(b"@chat {\"type\":   \"ping\"}"), Ok(Parsed::Ping));
        assert_eq!(parse(b"@a/b {\"type\":\"ping\"}"), Ok(Parsed::Ping));
        for not_ping in [
            &b"@Chat {\"type\":\"ping\"}"[..],
            b"@chat {\"type\":\"ping\",\"x\":1}",
            b"@chat {\"type\":\"pong\"}",
        ] {
            assert!(matches!(parse(not_ping), Ok(Parsed::Json { .. })));
        }
    }

    #[test]
    fn xml_messages_route_by_their_tag() {
        assert_eq!(
            parse(b"<msg to=\"x\">hi</msg>"),
            Ok(Parsed::Xml {
                path: b"<msg",
                body: b"<msg to=\"x\">hi</msg>"
            })
        );
        assert_eq!(parse(b"<>"), Err(Error::BadTag));
        assert_eq!(parse(b"@ {}"), Err(Error::BadPath));
        assert_eq!(parse(b"@chat"), Err(Error::BadPath));
        assert_eq!(parse(b"GET / HTTP/1.1"), Err(Error::Unknown));
    }

    #[test]
    fn replies_are_base64_without_the_nul_unless_raw() {
        let captured = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/mongrel2-captures/json-10-json-xml-socket/04-m2-to-client-json-reply.bin"
        ))
        .unwrap();
        assert_eq!(
            encode_reply(b"{\"type\":\"hello\",\"n\":1}", false),
            captured
        );
        assert_eq!(
            encode_reply(b"{\"type\":\"hello\",\"n\":1}\0", false),
            captured
        );
        assert_eq!(
            encode_reply(b"{\"type\":\"hello\"}\0", true),
            b"{\"type\":\"hello\"}\0"
        );
    }

    #[test]
    fn the_policy_matches_the_capture() {
        let captured = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/mongrel2-captures/json-10-json-xml-socket/10-m2-to-client-policy-then-EOF.bin"
        ))
        .unwrap();
        assert_eq!([POLICY, b"\0"].concat(), captured);
    }
}
