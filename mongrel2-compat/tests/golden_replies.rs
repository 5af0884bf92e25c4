//! Golden vectors from the real Mongrel2 1.12.2 (fixtures/mongrel2-captures): every reply frame a
//! handler sent parses, or is rejected exactly where Mongrel2 dropped it, and what Mongrel2 then
//! did on the wire (the next client read, the next handler message) agrees with the parse; and
//! every request frame Mongrel2 sent classifies into the message kind its scenario shows, with
//! fields that match what the client sent.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use base64::Engine as _;
use mongrel2_compat::message::Message;
use mongrel2_compat::reply::{self, Error, Extended, Kind, Reply};
use mongrel2_compat::websocket::{self, Decoded, Decoder, Reassembler};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many `*handler-to-m2*.bin` files the captures hold.
const REPLY_FRAMES: usize = 89;

/// The frames Mongrel2 dropped (the client saw nothing of them), and the rule each one broke.
fn rejected() -> Vec<(&'static str, &'static str, Error)> {
    let malformed = "json-09e-malformed-and-odd-replies";
    let targets = "misc-02-target-list-syntax";
    vec![
        (
            malformed,
            "03-handler-to-m2-wrong-length.bin",
            Error::LengthMismatch {
                declared: 9,
                actual: 2,
            },
        ),
        (
            malformed,
            "05-handler-to-m2-comma-separated-ids.bin",
            Error::LengthMismatch {
                declared: 6,
                actual: 2,
            },
        ),
        (
            malformed,
            "07-handler-to-m2-no-space-after-comma.bin",
            Error::MissingSpace { found: b'N' },
        ),
        (
            malformed,
            "09-handler-to-m2-uuid-with-underscore.bin",
            Error::UuidByte {
                offset: 3,
                found: b'_',
            },
        ),
        (malformed, "11-handler-to-m2-zero-targets.bin", Error::NoIds),
        (
            malformed,
            "16-handler-to-m2-multipart-part2.bin",
            Error::UuidByte {
                offset: 5,
                found: b'\n',
            },
        ),
        (
            targets,
            "09-handler-to-m2-double-space.bin",
            Error::IdsByte {
                offset: 41,
                found: b' ',
            },
        ),
        (
            targets,
            "13-handler-to-m2-129-ids.bin",
            Error::TooManyIds {
                max: reply::MAX_IDS,
            },
        ),
    ]
}

/// Parsed frames whose id list is not in the canonical form `encode` writes.
const NON_CANONICAL: [&str; 2] = [
    "05-handler-to-m2-leading-zeros.bin",
    "07-handler-to-m2-trailing-space.bin",
];

struct Scenario {
    name: String,
    /// `(file name, bytes)`, in capture order.
    files: Vec<(String, Vec<u8>)>,
}

impl Scenario {
    /// The first file after `index` whose name contains `kind`.
    fn next(&self, index: usize, kind: &str) -> Option<&(String, Vec<u8>)> {
        self.files[index + 1..]
            .iter()
            .find(|(name, _)| name.contains(kind))
    }

    /// The nearest file before `index` that is a client write and satisfies `accept`.
    fn client_before(&self, index: usize, accept: impl Fn(&[u8]) -> bool) -> Option<&[u8]> {
        let files = self.files[..index].iter().rev();
        let writes = files.filter(|(name, _)| name.contains("client-to-m2"));
        writes
            .map(|(_, bytes)| bytes.as_slice())
            .find(|bytes| accept(bytes))
    }

    /// The `recv_ident` of the scenario's config (the SUB prefix filter); empty for most.
    fn recv_ident(&self) -> Vec<u8> {
        let events =
            std::fs::read_to_string(captures().join(&self.name).join("events.json")).unwrap();
        let config = between(&events, "\"config\": \"", "\"").unwrap();
        let conf =
            std::fs::read_to_string(captures().join("configs").join(format!("{config}.conf")))
                .unwrap();
        let mut idents = conf
            .split("recv_ident='")
            .skip(1)
            .filter_map(|rest| rest.split('\'').next());
        idents
            .find(|ident| !ident.is_empty())
            .unwrap_or_default()
            .as_bytes()
            .to_vec()
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/mongrel2-captures")
}

/// Every scenario directory with its `.bin` files, sorted.
fn scenarios() -> Vec<Scenario> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(captures())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("events.json").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
                .map(|path| {
                    (
                        path.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read(&path).unwrap(),
                    )
                })
                .collect();
            files.sort();
            Scenario {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                files,
            }
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

#[test]
fn every_captured_reply_parses_or_is_rejected_where_mongrel2_dropped_it() {
    let rejected = rejected();
    let (mut walked, mut parsed) = (0, 0);
    for scenario in scenarios() {
        let recv_ident = scenario.recv_ident();
        for (index, (name, frame)) in scenario.files.iter().enumerate() {
            if !name.contains("handler-to-m2") {
                continue;
            }
            walked += 1;
            let at = format!("{}/{name}", scenario.name);
            let expected = rejected
                .iter()
                .find(|(dir, file, _)| *dir == scenario.name && file == name);
            match (reply::parse(frame), expected) {
                (Err(err), Some((_, _, want))) => {
                    assert_eq!(&err, want, "{at}");
                    let tail = frame.rsplit(|&b| b == b' ').next().unwrap();
                    let (_, seen) = scenario.next(index, "m2-to-client").expect(&at);
                    assert!(
                        !contains(seen, tail),
                        "{at}: the client saw the dropped frame"
                    );
                }
                (Ok(reply), None) => {
                    parsed += 1;
                    check_effect(&scenario, index, &reply, &recv_ident, &at);
                    check_reencode(frame, &reply, NON_CANONICAL.contains(&name.as_str()), &at);
                }
                (got, want) => panic!("{at}: parsed as {got:?}, expected {want:?}"),
            }
        }
    }
    assert_eq!(
        (walked, parsed),
        (REPLY_FRAMES, REPLY_FRAMES - rejected.len())
    );
}

/// What Mongrel2 did after a valid reply agrees with its kind.
fn check_effect(scenario: &Scenario, index: usize, reply: &Reply<'_>, recv_ident: &[u8], at: &str) {
    let client = scenario.next(index, "m2-to-client");
    let handler = scenario
        .next(index, "m2-to-handler")
        .map(|(_, bytes)| bytes.as_slice());
    let told_gone = handler.is_some_and(|bytes| {
        let mut fields = bytes.splitn(4, |&b| b == b' ').skip(1);
        let id = reply.ids[0].to_string();
        fields.next() == Some(id.as_bytes())
            && fields.next() == Some(b"@*")
            && contains(bytes, b"disconnect")
    });
    match &reply.kind {
        _ if !reply::passes_subscription(&scenario.files[index].1, recv_ident) => {
            let (_, seen) = client.expect(at);
            assert!(
                seen.is_empty(),
                "{at}: filtered by recv_ident, yet the client got bytes"
            );
        }
        Kind::Data(body) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(body);
            let delivered = client.is_some_and(|(_, seen)| {
                contains(seen, body) || contains(seen, encoded.as_bytes())
            });
            assert!(
                delivered || told_gone,
                "{at}: body neither delivered nor answered by a disconnect notice"
            );
        }
        Kind::Close => {
            let (name, _) = client.expect(at);
            assert!(
                name.contains("EOF"),
                "{at}: close was not followed by EOF ({name})"
            );
        }
        Kind::Extended(Extended::Ctl(ctl)) if ctl.cancel => {
            assert!(
                client.is_none_or(|(name, _)| name.contains("EOF-no-data")),
                "{at}: cancel left the client open"
            );
        }
        Kind::Extended(Extended::Ctl(ctl)) if ctl.credits.is_some() => {
            let piece = handler.expect(at);
            assert!(
                !contains(piece, b" @* "),
                "{at}: credits were not followed by an upload piece"
            );
        }
        Kind::Extended(Extended::Ctl(ctl)) => {
            assert!(ctl.keep_alive, "{at}: empty ctl");
            let (name, seen) = client.expect(at);
            assert!(
                seen.is_empty() && !name.contains("EOF"),
                "{at}: keep-alive wrote or closed"
            );
        }
        Kind::Extended(Extended::Other { .. }) => {
            let (name, _) = client.expect(at);
            assert!(
                name.contains("EOF-no-data"),
                "{at}: unknown extension did not drop the client"
            );
        }
    }
}

/// Re-encoding a parsed reply gives the captured bytes whenever its ids were written canonically.
fn check_reencode(frame: &[u8], reply: &Reply<'_>, non_canonical: bool, at: &str) {
    let mut out = Vec::new();
    match &reply.kind {
        Kind::Data(body) => reply::encode(reply.uuid, &reply.ids, body, &mut out),
        Kind::Close => reply::encode(reply.uuid, &reply.ids, b"", &mut out),
        Kind::Extended(Extended::Ctl(ctl)) => {
            reply::encode_ctl(reply.uuid, &reply.ids, ctl, &mut out)
        }
        Kind::Extended(Extended::Other { key, value }) => {
            reply::encode_extended(reply.uuid, &reply.ids, key, value, &mut out)
        }
    }
    assert_eq!(
        out != frame,
        non_canonical,
        "{at}: re-encoded as {:?}",
        String::from_utf8_lossy(&out)
    );
}

/// How many `*m2-to-handler*.bin` files the captures hold, by message kind.
const REQUEST_KINDS: [(&str, usize); 9] = [
    ("Credits", 5),
    ("Disconnect", 41),
    ("Http", 66),
    ("JsonSocket", 4),
    ("UploadDone", 3),
    ("UploadStart", 4),
    ("UploadStream", 11),
    ("WebSocket", 6),
    ("WebSocketHandshake", 3),
];

#[test]
fn every_captured_request_classifies_as_its_scenario_shows() {
    let mut counts = BTreeMap::new();
    for scenario in scenarios() {
        let (mut temp_path, mut stream_offset) = (None, 0);
        for (index, (name, frame)) in scenario.files.iter().enumerate() {
            if !name.contains("m2-to-handler") {
                continue;
            }
            let at = format!("{}/{name}", scenario.name);
            let message = Message::decode(frame).unwrap_or_else(|err| panic!("{at}: {err}"));
            let kind = match &message {
                Message::Disconnect { .. } => {
                    assert!(frame.ends_with(br#"21:{"type":"disconnect"},"#), "{at}");
                    "Disconnect"
                }
                Message::Credits { credits, .. } => {
                    assert!(
                        frame.ends_with(br#"18:{"type":"credits"},"#) && *credits > 0,
                        "{at}"
                    );
                    "Credits"
                }
                Message::Http(request) => {
                    let line = scenario
                        .client_before(index, starts_with_method)
                        .expect(&at);
                    assert!(
                        line.starts_with(&[request.method().unwrap(), b" "].concat()),
                        "{at}"
                    );
                    "Http"
                }
                Message::UploadStart {
                    temp_path: path, ..
                } => {
                    temp_path = Some(path.to_vec());
                    "UploadStart"
                }
                Message::UploadDone {
                    temp_path: path, ..
                } => {
                    assert_eq!(temp_path.take().as_deref(), Some(path.as_ref()), "{at}");
                    "UploadDone"
                }
                Message::UploadStream {
                    offset, done, data, ..
                } => {
                    assert_eq!(*offset, stream_offset, "{at}: pieces are not contiguous");
                    stream_offset = if *done { 0 } else { offset + data.len() as u64 };
                    "UploadStream"
                }
                Message::WebSocketHandshake { request, accept } => {
                    let key = request
                        .headers
                        .get(b"sec-websocket-key")
                        .expect(&at)
                        .first();
                    assert_eq!(websocket::accept_key(key).as_bytes(), *accept, "{at}");
                    "WebSocketHandshake"
                }
                Message::WebSocket { flags, data, .. } => {
                    let client = scenario.client_before(index, |_| true).expect(&at);
                    let (expected_flags, payload) = client_message(client);
                    assert_eq!(
                        (websocket::flags_string(*flags), data.to_vec()),
                        (expected_flags, payload),
                        "{at}"
                    );
                    "WebSocket"
                }
                Message::JsonSocket { body, .. } => {
                    let sent = [&b" "[..], body, b"\0"].concat();
                    assert!(
                        scenario
                            .client_before(index, |bytes| bytes.ends_with(&sent))
                            .is_some(),
                        "{at}"
                    );
                    "JsonSocket"
                }
                other => panic!("{at}: no capture should give {other:?}"),
            };
            *counts.entry(kind).or_insert(0) += 1;
        }
    }
    assert_eq!(counts, BTreeMap::from(REQUEST_KINDS));
}

/// Whether a client write starts with an HTTP request line (`METHOD SP`), not a body or a later
/// segment of a head.
fn starts_with_method(bytes: &[u8]) -> bool {
    let method = bytes.split(|&b| b == b' ').next().unwrap_or_default();
    bytes.len() > method.len()
        && !method.is_empty()
        && method
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Decodes the client's masked frames with our decoder and reassembler: the one message they
/// carry, as (FLAGS, payload).
fn client_message(mut bytes: &[u8]) -> (String, Vec<u8>) {
    let mut reassembler = Reassembler::default();
    loop {
        let Decoded::Frame { frame, consumed } = Decoder::server().decode(bytes).unwrap() else {
            panic!("truncated client frame");
        };
        bytes = &bytes[consumed..];
        if let Some(message) = reassembler.push(frame).unwrap() {
            assert!(
                bytes.is_empty(),
                "more than one message in one client write"
            );
            return (message.flags(), message.payload);
        }
    }
}
