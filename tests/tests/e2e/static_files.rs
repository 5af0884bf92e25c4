//! Issue 5 item 4: `dir` targets. The gateway serves a temp directory to a
//! real client (the harness's raw client, and curl for big files): index
//! files, 301 for directories, MIME types, 304 by ETag and by date, 206 and
//! 416, HEAD, 405, keep-alive, the access log, and escape attempts that must
//! never leak the file next to the base. `differential` serves the same
//! directory from the real Mongrel2 beside it.

mod differential;
mod site;

use std::process::Command;

use scale0_tests::client::{split_response, Conn};
use scale0_tests::mongrel2::DIR_DEFAULT_CTYPE;

use site::{big_content, gateway_for, header, populate, request, served, DEADLINE, SECRET};

#[test]
fn files_index_files_and_mime_types() {
    let (_root, g) = served("");
    let r = request(g.port(), "GET", "/a.txt", &[]);
    assert_eq!((r.0, r.2.as_slice()), (200, &b"hello\n"[..]));
    assert_eq!(header(&r, "content-type"), Some("text/plain"));
    assert_eq!(header(&r, "content-length"), Some("6"));
    assert_eq!(header(&r, "accept-ranges"), Some("bytes"));
    let r = request(g.port(), "GET", "/", &[]);
    assert_eq!((r.0, r.2.as_slice()), (200, &b"<h1>index</h1>\n"[..]));
    assert_eq!(header(&r, "content-type"), Some("text/html"));
    let r = request(g.port(), "GET", "/static/sub/", &[]);
    assert_eq!((r.0, r.2.as_slice()), (200, &b"sub index\n"[..]));
    for (path, ctype) in [
        ("/style.css", "text/css"),
        ("/x.js", "text/javascript"),
        ("/d.json", "application/json"),
        ("/README", DIR_DEFAULT_CTYPE),
        ("/big.bin", "application/octet-stream"),
    ] {
        assert_eq!(
            header(&request(g.port(), "HEAD", path, &[]), "content-type"),
            Some(ctype),
            "{path}"
        );
    }
}

#[test]
fn mimetypes_from_the_config_override_the_builtin_table() {
    let root = tempfile::tempdir().unwrap();
    populate(root.path()).unwrap();
    let g = gateway_for(root.path(), "\n[mimetypes]\n\".js\" = \"application/x-javascript\"\n\"txt\" = \"text/plain; charset=utf-8\"");
    let r = request(g.port(), "HEAD", "/x.js", &[]);
    assert_eq!(header(&r, "content-type"), Some("application/x-javascript"));
    let r = request(g.port(), "HEAD", "/a.txt", &[]);
    assert_eq!(
        header(&r, "content-type"),
        Some("text/plain; charset=utf-8")
    );
}

#[test]
fn directories_without_slash_redirect_and_without_index_are_404() {
    let (_root, g) = served("");
    let r = request(g.port(), "GET", "/sub?x=1", &[]);
    assert_eq!(r.0, 301);
    assert_eq!(header(&r, "location"), Some("/sub/?x=1"));
    let r = request(g.port(), "GET", "/noidx/", &[]);
    assert_eq!((r.0, r.2.as_slice()), (404, &b"Not Found"[..]));
}

#[test]
fn conditional_gets_answer_304_by_etag_and_by_date_and_412() {
    let (_root, g) = served("");
    let first = request(g.port(), "GET", "/a.txt", &[]);
    let etag = header(&first, "etag").unwrap().to_owned();
    let date = header(&first, "last-modified").unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with("-6\""), "{etag}");
    let r = request(
        g.port(),
        "GET",
        "/a.txt",
        &[&format!("If-None-Match: {etag}")],
    );
    assert_eq!((r.0, r.2.len()), (304, 0));
    assert_eq!(header(&r, "etag"), Some(etag.as_str()));
    let r = request(
        g.port(),
        "GET",
        "/a.txt",
        &[&format!("If-Modified-Since: {date}")],
    );
    assert_eq!(r.0, 304);
    let r = request(g.port(), "GET", "/a.txt", &["If-None-Match: \"other\""]);
    assert_eq!(r.0, 200);
    let r = request(g.port(), "GET", "/a.txt", &["If-Match: \"other\""]);
    assert_eq!((r.0, r.2.as_slice()), (412, &b"Precondition Failed"[..]));
    let r = request(
        g.port(),
        "GET",
        "/a.txt",
        &["If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT"],
    );
    assert_eq!(r.0, 412);
}

#[test]
fn ranges_answer_206_and_416() {
    let (_root, g) = served("");
    let r = request(g.port(), "GET", "/a.txt", &["Range: bytes=1-3"]);
    assert_eq!((r.0, r.2.as_slice()), (206, &b"ell"[..]));
    assert_eq!(header(&r, "content-range"), Some("bytes 1-3/6"));
    let r = request(g.port(), "GET", "/a.txt", &["Range: bytes=-2"]);
    assert_eq!((r.0, r.2.as_slice()), (206, &b"o\n"[..]));
    let r = request(g.port(), "GET", "/a.txt", &["Range: bytes=100-"]);
    assert_eq!(r.0, 416);
    assert_eq!(header(&r, "content-range"), Some("bytes */6"));
    let r = request(g.port(), "GET", "/big.bin", &["Range: bytes=1000-"]);
    assert_eq!(r.0, 206);
    assert_eq!(r.2, &big_content()[1000..]);
}

#[test]
fn head_has_no_body_and_other_methods_get_405() {
    let (_root, g) = served("");
    let r = request(g.port(), "HEAD", "/big.bin", &[]);
    assert_eq!((r.0, r.2.len()), (200, 0));
    assert_eq!(header(&r, "content-length"), Some("1048576"));
    for m in ["POST", "PUT", "DELETE"] {
        let r = request(g.port(), m, "/a.txt", &["Content-Length: 0"]);
        assert_eq!(
            (r.0, r.2.as_slice()),
            (405, &b"Method Not Allowed"[..]),
            "{m}"
        );
        assert_eq!(header(&r, "allow"), Some("GET, HEAD"));
    }
}

#[test]
fn escape_attempts_never_leak_the_outside_file() {
    let (_root, g) = served("");
    for path in [
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/%2E%2E%2Foutside.txt",
        "/static/../../outside.txt",
        "/sub/..%2f..%2foutside.txt",
        "/..%5coutside.txt",
        "/link_out",
        "/a.txt%00",
        "/.hidden",
    ] {
        let r = request(g.port(), "GET", path, &[]);
        assert_eq!(r.0, 404, "{path}");
        assert!(!String::from_utf8_lossy(&r.2).contains(SECRET), "{path}");
    }
    let r = request(g.port(), "GET", "/link_in", &[]);
    assert_eq!(
        (r.0, r.2.as_slice()),
        (200, &b"hello\n"[..]),
        "symlinks inside the base are followed"
    );
    let out = Command::new("curl")
        .args([
            "-s",
            "--path-as-is",
            &format!("http://127.0.0.1:{}/../outside.txt", g.port()),
        ])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET));
}

#[test]
fn keep_alive_serves_several_files_on_one_connection() {
    let (_root, g) = served("");
    let mut c = Conn::connect(g.port()).unwrap();
    for path in ["/a.txt", "/nope", "/sub", "/a.txt"] {
        c.send(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .unwrap();
        let r = split_response(&c.read_response(DEADLINE).unwrap()).unwrap();
        assert!(matches!(r.0, 200 | 301 | 404), "{path}: {}", r.0);
    }
}

#[test]
fn curl_downloads_a_big_file_intact_and_the_access_log_records_it() {
    let root = tempfile::tempdir().unwrap();
    populate(root.path()).unwrap();
    let log = root.path().join("access.log");
    let extra = format!("access_log = \"{}\"", log.display());
    let g = gateway_for(root.path(), &extra);
    let out = root.path().join("download");
    let status = Command::new("curl")
        .args(["-sf", "-o"])
        .arg(&out)
        .arg(format!("http://127.0.0.1:{}/static/big.bin", g.port()))
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read(&out).unwrap(), big_content());
    let line = scale0_tests::wait::until("the access log line", DEADLINE, || {
        let text = std::fs::read_to_string(&log).ok()?;
        text.lines()
            .find(|l| l.contains("/static/big.bin"))
            .map(str::to_owned)
    })
    .unwrap();
    assert!(
        line.contains(" 200 ") && line.contains("target=site"),
        "{line}"
    );
}

#[test]
fn h2c_clients_get_files_and_ranges_too() {
    let (_root, g) = served("");
    let out = Command::new("curl")
        .args([
            "-s",
            "--http2-prior-knowledge",
            "-D",
            "-",
            "-H",
            "Range: bytes=0-1",
        ])
        .arg(format!("http://127.0.0.1:{}/a.txt", g.port()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/2 206"), "{text}");
    assert!(
        text.contains("content-range: bytes 0-1/6") && text.ends_with("\r\n\r\nhe"),
        "{text}"
    );
}
