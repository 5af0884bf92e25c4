//! The temp-file flow (docs §4.3): upload-start, the body in the file, upload-done; the handler
//! may refuse the upload by closing after upload-start.

use scale0_tests::client::Conn;

use super::side::{conn_id, header, norm, wait_gone, Side, EVENT, QUIET, TEMPLATE};

/// Mongrel2 with a 1024-byte inline limit and a temp store.
fn mongrel2() -> Side {
    Side::mongrel2(&[
        ("limits.content_length", "1024"),
        ("upload.temp_store", TEMPLATE),
    ])
}

/// Scale0 configured alike.
fn scale0() -> Side {
    Side::scale0(
        "inline_body_bytes = 1024",
        &format!("[upload]\ntemp_store = \"{TEMPLATE}\""),
    )
}

/// What one side did with an upload: the two frames, the file's content at upload-done, the
/// client's answer, and the file's path.
struct Seen {
    start: Vec<u8>,
    done: Vec<u8>,
    content: Vec<u8>,
    answer: Vec<u8>,
    file: std::path::PathBuf,
}

/// Sends `head` + `body_bytes` and plays a handler that answers the file's size.
fn upload(side: &Side, head: &str, body_bytes: &[u8]) -> Seen {
    let mut client = Conn::connect(side.port).unwrap();
    client.send(head.as_bytes()).unwrap();
    let start = side.recv("upload-start");
    let told = header(&start, "x-mongrel2-upload-start").expect("upload-start key");
    let file = side.local(&told);
    assert!(
        file.exists(),
        "{}: temp file {} exists at start",
        side.name,
        file.display()
    );
    client.send(body_bytes).unwrap();
    let done = side.recv("upload-done");
    assert_eq!(
        header(&done, "x-mongrel2-upload-done").as_deref(),
        Some(told.as_str())
    );
    let content = std::fs::read(&file).unwrap();
    let text = format!("got {}", content.len());
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{text}",
        text.len()
    );
    side.reply(conn_id(&done), response.as_bytes());
    let answer = client.read_response(EVENT).unwrap();
    Seen {
        start,
        done,
        content,
        answer,
        file,
    }
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn a_large_body_goes_through_a_temp_file_as_in_mongrel2() {
    let (m2, s0) = (mongrel2(), scale0());
    let data = body(10_000);
    let head = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000\r\n\r\n";
    let a = upload(&m2, head, &data);
    let b = upload(&s0, head, &data);
    assert_eq!(norm(&b.start), norm(&a.start), "upload-start frames");
    assert_eq!(norm(&b.done), norm(&a.done), "upload-done frames");
    assert_eq!(a.content, data);
    assert_eq!(b.content, data);
    assert!(b.answer.ends_with(b"got 10000") && a.answer.ends_with(b"got 10000"));
    // Mongrel2 leaves the file to the handler; Scale0 deletes it once the reply is through.
    assert!(a.file.exists(), "Mongrel2 keeps completed uploads");
    wait_gone(&b.file);
}

#[test]
fn a_chunked_body_is_de_chunked_into_the_temp_file_as_in_mongrel2() {
    let (m2, s0) = (mongrel2(), scale0());
    let head = "POST /chunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
    let chunks = b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
    let a = upload(&m2, head, chunks);
    let b = upload(&s0, head, chunks);
    assert_eq!(norm(&b.start), norm(&a.start));
    assert_eq!(norm(&b.done), norm(&a.done));
    assert_eq!(a.content, b"hello, world");
    assert_eq!(b.content, b"hello, world");
}

#[test]
fn a_handler_closing_after_upload_start_ends_the_upload_and_deletes_the_file() {
    for side in [mongrel2(), scale0()] {
        let mut client = Conn::connect(side.port).unwrap();
        let head = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000\r\n\r\n";
        client.send(head.as_bytes()).unwrap();
        client.send(&body(1000)).unwrap();
        let start = side.recv("upload-start");
        let file = side.local(&header(&start, "x-mongrel2-upload-start").unwrap());
        side.reply(conn_id(&start), b"");
        // Mongrel2 closes without a byte; Scale0 answers 502 and closes (docs/parity).
        let answer = client.read_to_eof(EVENT).unwrap_or_default();
        let _refused = client.send(&body(9000));
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 502"),
            "{}: {:?}",
            side.name,
            String::from_utf8_lossy(&answer)
        );
        wait_gone(&file);
        assert_eq!(
            side.next_within(QUIET).map(|f| norm(&f)),
            None,
            "{}: no upload-done and no disconnect notice",
            side.name
        );
    }
}

#[test]
fn without_a_temp_store_a_large_body_is_refused_by_both() {
    let m2 = Side::mongrel2(&[("limits.content_length", "1024")]);
    let s0 = Side::scale0("inline_body_bytes = 1024", "");
    for side in [m2, s0] {
        let mut client = Conn::connect(side.port).unwrap();
        let head = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000\r\n\r\n";
        client.send(head.as_bytes()).unwrap();
        let answer = client.read_response(EVENT).unwrap();
        assert!(
            answer.starts_with(b"HTTP/1.1 413"),
            "{}: {:?}",
            side.name,
            String::from_utf8_lossy(&answer)
        );
        assert!(
            side.next_within(QUIET).is_none(),
            "{}: nothing for the handler",
            side.name
        );
    }
}

#[test]
fn expect_100_continue_is_answered_before_the_body_is_read() {
    for side in [mongrel2(), scale0()] {
        let mut client = Conn::connect(side.port).unwrap();
        let head = "POST /upload HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n";
        client.send(head.as_bytes()).unwrap();
        let interim = client
            .read_until(EVENT, |b| b.ends_with(b"\r\n\r\n"))
            .unwrap();
        assert!(
            interim.starts_with(b"HTTP/1.1 100 Continue\r\n"),
            "{}: {:?}",
            side.name,
            String::from_utf8_lossy(&interim)
        );
        let start = side.recv("upload-start");
        client.send(&body(5000)).unwrap();
        let done = side.recv("upload-done");
        assert_eq!(conn_id(&done), conn_id(&start));
        side.reply(conn_id(&done), b"HTTP/1.1 204 No Content\r\n\r\n");
        let answer = client.read_response(EVENT).unwrap();
        assert!(answer.starts_with(b"HTTP/1.1 204"), "{}", side.name);
    }
}

#[test]
fn a_client_leaving_mid_upload_deletes_the_file_and_the_handler_is_told() {
    let side = scale0();
    let mut client = Conn::connect(side.port).unwrap();
    let head = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000\r\n\r\n";
    client.send(head.as_bytes()).unwrap();
    client.send(&body(1000)).unwrap();
    let start = side.recv("upload-start");
    let file = side.local(&header(&start, "x-mongrel2-upload-start").unwrap());
    drop(client);
    wait_gone(&file);
    let notice = side.recv("the disconnect notice");
    let parsed = mongrel2_compat::request::decode(&notice).unwrap();
    assert!(parsed.is_notice() && parsed.conn_id == conn_id(&start));
}

#[test]
fn a_chunked_upload_past_max_body_bytes_is_413_and_leaves_no_file() {
    let side = Side::scale0(
        "inline_body_bytes = 1024\nmax_body_bytes = 4096",
        &format!("[upload]\ntemp_store = \"{TEMPLATE}\""),
    );
    let mut client = Conn::connect(side.port).unwrap();
    let head = "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
    client.send(head.as_bytes()).unwrap();
    let start = side.recv("upload-start");
    let file = side.local(&header(&start, "x-mongrel2-upload-start").unwrap());
    let chunk = [b"1000\r\n".as_slice(), &[b'z'; 4096], b"\r\n"].concat();
    let _may_be_refused = client.send(&[chunk.as_slice(), chunk.as_slice()].concat());
    let answer = client.read_response(EVENT).unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 413"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    wait_gone(&file);
    let notice = side.recv("the disconnect notice");
    assert!(mongrel2_compat::request::decode(&notice)
        .unwrap()
        .is_notice());
}
