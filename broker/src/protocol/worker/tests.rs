//! Codec tests: S0W/1 golden frames here, S0W/2 in `v2`, bad fields in `malformed`, properties in `props`.

mod malformed;
mod props;
mod v2;

use super::*;
use crate::protocol::Error;

pub(super) fn msg(command: u8, fields: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut frames = vec![Vec::new(), b"S0W1".to_vec(), vec![command]];
    frames.extend(fields.iter().map(|f| f.to_vec()));
    frames
}

pub(super) fn err(frames: &[Vec<u8>]) -> Error {
    decode(frames).unwrap_err()
}

pub(super) fn name(s: &str) -> ServiceName {
    ServiceName::new(s.as_bytes()).unwrap()
}

pub(super) const ID: &[u8] = &[0, 0, 0, 7, 0, 0, 0, 1];
#[test]
fn ready_golden_frames() {
    let ready = Command::Ready {
        services: vec![name("echo"), name("api.v2")],
        capacity: 4,
    };
    let frames = encode(&ready);
    let expected: Vec<&[u8]> = vec![b"", b"S0W1", b"\x01", b"4", b"echo", b"api.v2"];
    assert_eq!(
        frames.iter().map(|f| f.as_ref()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(decode(&frames).unwrap(), ready);
}

#[test]
fn request_golden_frames() {
    let payload = b"gw-1 12 /slow 2:{},0:,";
    let frames = msg(0x02, &[ID, b"gw-1", payload]);
    let decoded = decode(&frames).unwrap();
    assert_eq!(
        decoded,
        Command::Request {
            request: RequestId(0x0000_0007_0000_0001),
            sender: Bytes::from_static(b"gw-1"),
            payload: Bytes::from_static(payload),
        }
    );
    assert_eq!(encode(&decoded), frames);
}

#[test]
fn envelope_errors() {
    assert_eq!(decode::<&[u8]>(&[]).unwrap_err(), Error::NoFrames);
    assert_eq!(err(&[b"x".to_vec()]), Error::MissingDelimiter { len: 1 });
    let wrong = vec![Vec::new(), b"S0W3".to_vec(), vec![1]];
    assert!(matches!(err(&wrong), Error::Protocol { found, .. } if found == "S0W3"));
    assert!(matches!(err(&[Vec::new()]), Error::Protocol { found, .. } if found.is_empty()));
    assert_eq!(
        err(&[Vec::new(), b"S0W1".to_vec()]),
        Error::CommandLength { len: 0 }
    );
    assert_eq!(
        err(&[Vec::new(), b"S0W1".to_vec(), b"RE".to_vec()]),
        Error::CommandLength { len: 2 }
    );
    assert_eq!(err(&msg(0x0b, &[])), Error::UnknownCommand(0x0b));
    assert!(err(&msg(0x0b, &[])).is_fatal());
    assert!(err(&wrong).is_fatal());
    assert!(!err(&msg(0x04, &[])).is_fatal());
}

#[test]
fn directions() {
    assert_eq!(
        Command::Done {
            request: RequestId(1)
        }
        .direction(),
        Direction::ToBroker
    );
    assert_eq!(
        Command::ReconnectTo {
            endpoint: "tcp://x:1".into()
        }
        .direction(),
        Direction::ToWorker
    );
    assert_eq!(Command::Drain.direction(), Direction::ToBroker);
    assert_eq!(
        Command::Heartbeat { timing: None }.direction(),
        Direction::Both
    );
}

#[test]
fn reply_done_golden_frames_and_malformed_variants() {
    let reply_done = Command::ReplyDone {
        request: RequestId(0x0000_0007_0000_0001),
        reply: Bytes::from_static(b"GW 1:5, HTTP/1.1 204 No Content\r\n\r\n"),
    };
    let frames = encode(&reply_done);
    let expected: Vec<&[u8]> = vec![
        b"",
        b"S0W1",
        b"\x0a",
        ID,
        b"GW 1:5, HTTP/1.1 204 No Content\r\n\r\n",
    ];
    assert_eq!(
        frames.iter().map(|f| f.as_ref()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(decode(&frames).unwrap(), reply_done);
    assert_eq!(reply_done.direction(), Direction::ToBroker);
    assert_eq!(reply_done.name(), "REPLY-DONE");
    assert!(!err(&msg(0x0a, &[ID])).is_fatal());
    assert!(!err(&msg(0x0a, &[ID, b""])).is_fatal());
    assert!(!err(&msg(0x0a, &[ID, b"r", b"extra"])).is_fatal());
    assert!(!err(&msg(0x0a, &[b"short", b"r"])).is_fatal());
}
