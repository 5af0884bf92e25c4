//! Streamed uploads (docs §4.4): message 1 with `UPLOAD_STREAM: "0"`, then pieces only as the
//! handler grants credits, each at most min(credits, inline limit) bytes.

use mongrel2_compat::reply::Ctl;
use scale0_tests::client::Conn;

use super::side::{conn_id, header, norm, Side, EVENT};

fn mongrel2() -> Side {
    Side::mongrel2(&[
        ("limits.content_length", "1024"),
        ("upload.stream", "1"),
        ("download.flow_control", "1"),
    ])
}

fn scale0() -> Side {
    Side::scale0(
        "inline_body_bytes = 1024\nupload_stream = true\ndownload_credits = true",
        "",
    )
}

fn credits(n: i64) -> Ctl {
    Ctl {
        credits: Some(n),
        ..Ctl::default()
    }
}

/// Runs one streamed upload: `first` then `rest` from the client, `grant` credits per piece.
/// Returns the normalised frames the handler got (message 1, pieces, credits notice) and the
/// body bytes it assembled.
fn stream(side: &Side, first: &[u8], rest: &[u8], grant: i64) -> (Vec<String>, Vec<u8>) {
    let mut client = Conn::connect(side.port).unwrap();
    client.send(first).unwrap();
    let head = side.recv("message 1");
    assert_eq!(header(&head, "UPLOAD_STREAM").as_deref(), Some("0"));
    let id = conn_id(&head);
    client.send(rest).unwrap();
    let mut frames = vec![norm(&head)];
    let mut data = mongrel2_compat::request::decode(&head)
        .unwrap()
        .body
        .to_vec();
    // Grant, then take pieces until the grant is used up: both servers send eagerly while
    // credits last, so waiting for exhaustion makes the sequence deterministic.
    let mut done = false;
    while !done {
        side.ctl(id, &credits(grant));
        let mut used = 0;
        while used < grant && !done {
            let piece = side.recv("a piece");
            let body = mongrel2_compat::request::decode(&piece)
                .unwrap()
                .body
                .to_vec();
            used += i64::try_from(body.len()).unwrap();
            data.extend_from_slice(&body);
            done = header(&piece, "UPLOAD_STREAM_DONE").is_some();
            frames.push(norm(&piece));
        }
    }
    side.reply(
        id,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nstreamed\n",
    );
    let answer = client.read_response(EVENT).unwrap();
    assert!(answer.ends_with(b"streamed\n"), "{}", side.name);
    frames.push(norm(&side.recv("the credits notice")));
    (frames, data)
}

#[test]
fn a_streamed_upload_arrives_in_the_same_pieces_as_from_mongrel2() {
    let (m2, s0) = (mongrel2(), scale0());
    let data: Vec<u8> = (0..5000u32).map(|i| b'A' + (i % 26) as u8).collect();
    let head = b"POST /stream-up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n";
    let first = [head.as_slice(), &data[..700]].concat();
    let (a, got_a) = stream(&m2, &first, &data[700..], 1500);
    let (b, got_b) = stream(&s0, &first, &data[700..], 1500);
    assert_eq!(got_a, data);
    assert_eq!(got_b, data);
    assert_eq!(b, a, "message 1, pieces and credits notice");
}

#[test]
fn a_chunked_streamed_upload_goes_chunk_by_chunk_as_in_mongrel2() {
    let (m2, s0) = (mongrel2(), scale0());
    let head =
        b"POST /stream-chunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
    let chunks = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let (a, got_a) = stream(&m2, head, chunks, 100);
    let (b, got_b) = stream(&s0, head, chunks, 100);
    assert_eq!(got_a, b"hello world");
    assert_eq!(got_b, b"hello world");
    assert_eq!(b, a);
}
