//! A dir target end to end in memory: request parts in, response out, on a
//! temp directory with a fixed clock.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use http::{header, Request, StatusCode};
use http_body_util::BodyExt;

use super::*;

struct Site {
    root: tempfile::TempDir,
    dir: Dir,
}

fn site() -> Site {
    let root = tempfile::tempdir().unwrap();
    let base = root.path().join("site");
    std::fs::create_dir_all(base.join("sub")).unwrap();
    std::fs::write(base.join("a.txt"), "hello\n").unwrap();
    std::fs::write(base.join("index.html"), "<h1>i</h1>").unwrap();
    std::fs::write(base.join("style.css"), "b{}").unwrap();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(base.join("big.bin"), big).unwrap();
    std::fs::write(root.path().join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(root.path().join("secret.txt"), base.join("out")).unwrap();
    let config = config::Dir {
        base: base.clone(),
        index_file: "index.html".into(),
        default_ctype: "application/octet-stream".into(),
    };
    let mimetypes = BTreeMap::from([("txt".to_owned(), "text/plain; charset=utf-8".to_owned())]);
    let dir = Dir::new("static", &config, &mimetypes).unwrap();
    Site { root, dir }
}

fn later() -> SystemTime {
    SystemTime::now() + Duration::from_secs(3600)
}

async fn call(
    site: &Site,
    method: &str,
    uri: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, http::HeaderMap, Vec<u8>) {
    let mut builder = Request::builder().method(method).uri(uri);
    for (n, v) in headers {
        builder = builder.header(n, *v);
    }
    let (parts, ()) = builder.body(()).unwrap().into_parts();
    let tracker = TaskTracker::new();
    let response = site.dir.serve_at(&parts, "/", &tracker, later()).await;
    let (head, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (head.status, head.headers, bytes)
}

#[tokio::test]
async fn get_serves_the_file_with_its_validators() {
    let s = site();
    let (status, h, body) = call(&s, "GET", "/a.txt", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"hello\n");
    assert_eq!(
        h[header::CONTENT_TYPE],
        "text/plain; charset=utf-8",
        "[mimetypes] override"
    );
    assert_eq!(h[header::CONTENT_LENGTH], "6");
    assert_eq!(h[header::ACCEPT_RANGES], "bytes");
    assert!(h[header::ETAG].to_str().unwrap().ends_with("-6\""));
    assert!(h.contains_key(header::LAST_MODIFIED));
    let (_, h, _) = call(&s, "GET", "/style.css", &[]).await;
    assert_eq!(h[header::CONTENT_TYPE], "text/css");
}

#[tokio::test]
async fn head_has_the_headers_of_get_and_no_body() {
    let s = site();
    let (status, h, body) = call(&s, "HEAD", "/big.bin", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_LENGTH], "200000");
    assert_eq!(
        h[header::CONTENT_TYPE],
        "application/octet-stream",
        "default_ctype"
    );
    assert!(body.is_empty());
}

#[tokio::test]
async fn other_methods_get_405_with_allow() {
    let s = site();
    for m in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let (status, h, body) = call(&s, m, "/a.txt", &[]).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{m}");
        assert_eq!(h[header::ALLOW], "GET, HEAD");
        assert_eq!(body, b"Method Not Allowed");
    }
}

#[tokio::test]
async fn index_and_directory_redirects() {
    let s = site();
    let (status, _, body) = call(&s, "GET", "/", &[]).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::OK, &b"<h1>i</h1>"[..])
    );
    let (status, h, _) = call(&s, "GET", "/sub?x=1", &[]).await;
    assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(h[header::LOCATION], "/sub/?x=1");
    let tracker = TaskTracker::new();
    let (parts, ()) = Request::get("/files").body(()).unwrap().into_parts();
    let response = s.dir.serve_at(&parts, "/files", &tracker, later()).await;
    assert_eq!(
        response.status(),
        StatusCode::MOVED_PERMANENTLY,
        "route root without '/'"
    );
    assert_eq!(response.headers()[header::LOCATION], "/files/");
    let (status, _, body) = call(&s, "GET", "/sub/", &[]).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::NOT_FOUND, &b"Not Found"[..])
    );
}

#[tokio::test]
async fn escapes_never_reach_the_outside_file() {
    let s = site();
    assert!(s.root.path().join("secret.txt").exists());
    for uri in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/sub/..%2f..%2fsecret.txt",
        "/out",
        "/a.txt%00",
    ] {
        let (status, _, body) = call(&s, "GET", uri, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(body, b"Not Found", "{uri}");
    }
}

#[tokio::test]
async fn conditional_requests_give_304_and_412() {
    let s = site();
    let (_, h, _) = call(&s, "GET", "/a.txt", &[]).await;
    let etag = h[header::ETAG].to_str().unwrap().to_owned();
    let date = h[header::LAST_MODIFIED].to_str().unwrap().to_owned();
    let (status, h304, body) = call(&s, "GET", "/a.txt", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(h304[header::ETAG], etag.as_str());
    let (status, _, _) = call(&s, "GET", "/a.txt", &[(header::IF_MODIFIED_SINCE, &date)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, _, body) = call(&s, "GET", "/a.txt", &[(header::IF_MATCH, "\"nope\"")]).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::PRECONDITION_FAILED, &b"Precondition Failed"[..])
    );
    let old = "Sat, 01 Jan 2000 00:00:00 GMT";
    let (status, _, _) = call(&s, "GET", "/a.txt", &[(header::IF_UNMODIFIED_SINCE, old)]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn ranges_give_206_and_416() {
    let s = site();
    let (status, h, body) = call(&s, "GET", "/a.txt", &[(header::RANGE, "bytes=1-3")]).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::PARTIAL_CONTENT, &b"ell"[..])
    );
    assert_eq!(h[header::CONTENT_RANGE], "bytes 1-3/6");
    assert_eq!(h[header::CONTENT_LENGTH], "3");
    let (status, h, _) = call(&s, "GET", "/a.txt", &[(header::RANGE, "bytes=6-")]).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(h[header::CONTENT_RANGE], "bytes */6");
    let (status, _, body) = call(&s, "GET", "/a.txt", &[(header::RANGE, "bytes=0-0,2-3")]).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::OK, &b"hello\n"[..]),
        "several ranges: whole file"
    );
    let (status, _, _) = call(
        &s,
        "GET",
        "/a.txt",
        &[
            (header::RANGE, "bytes=0-1"),
            (header::IF_RANGE, "\"stale\""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "stale If-Range: whole file");
}

#[tokio::test]
async fn ranges_of_large_files_are_streamed_exactly() {
    let s = site();
    let (status, h, body) = call(&s, "GET", "/big.bin", &[(header::RANGE, "bytes=-70000")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(h[header::CONTENT_RANGE], "bytes 130000-199999/200000");
    let expected: Vec<u8> = (130_000..200_000u32).map(|i| (i % 253) as u8).collect();
    assert_eq!(body, expected);
    let (_, _, whole) = call(&s, "GET", "/big.bin", &[]).await;
    assert_eq!(whole.len(), 200_000);
}

#[test]
fn a_missing_base_fails_at_startup() {
    let config = config::Dir {
        base: "/nonexistent/scale0-dir-test/".into(),
        index_file: "index.html".into(),
        default_ctype: "text/plain".into(),
    };
    assert!(matches!(
        Dir::new("x", &config, &BTreeMap::new()),
        Err(DirError::Base { .. })
    ));
}
