//! The same directory served by the real Mongrel2 (a `Dir` on routes `/` and
//! `/static/`) and by Scale0 (a `dir` target on the same routes): the same
//! requests must get the same status and body from both, except for the
//! differences docs/parity/dir.md lists, each asserted here as a [`Diff`].

use scale0_tests::mongrel2::Mongrel2;

use super::site::{gateway_for, header, populate, request, SECRET};

/// Intended differences (docs/parity/dir.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Diff {
    /// `..` segments are refused (404) even when they stay inside the base.
    DotDot,
    /// Hidden names (`.x`) are 404.
    Hidden,
    /// A NUL in the path is 404 (Mongrel2 cuts the path there).
    Nul,
    /// Range is honoured (206); Mongrel2 ignores it (200).
    Range,
    /// Location is a path, not `//host:port/path/`.
    Location,
    /// `.js` is `text/javascript` (RFC 9239), not `application/x-javascript`.
    JsType,
}

struct Case {
    method: &'static str,
    path: &'static str,
    headers: &'static [&'static str],
    diff: Option<Diff>,
}

const fn case(method: &'static str, path: &'static str, headers: &'static [&'static str]) -> Case {
    Case {
        method,
        path,
        headers,
        diff: None,
    }
}

const fn differs(path: &'static str, headers: &'static [&'static str], diff: Diff) -> Case {
    Case {
        method: "GET",
        path,
        headers,
        diff: Some(diff),
    }
}

const CASES: &[Case] = &[
    case("GET", "/a.txt", &[]),
    case("GET", "/", &[]),
    case("GET", "/sub/", &[]),
    case("GET", "/static/a.txt", &[]),
    case("GET", "/static/sub/", &[]),
    case("GET", "/%61.txt", &[]),
    case("GET", "//a.txt", &[]),
    case("GET", "/style.css", &[]),
    case("GET", "/d.json", &[]),
    case("GET", "/README", &[]),
    case("GET", "/link_in", &[]),
    case("GET", "/big.bin", &[]),
    case("HEAD", "/a.txt", &[]),
    case("GET", "/nope", &[]),
    case("GET", "/noidx/", &[]),
    case("GET", "/a.txt/", &[]),
    case("GET", "/link_out", &[]),
    case("GET", "/../outside.txt", &[]),
    case("GET", "/%2e%2e/outside.txt", &[]),
    case("GET", "/sub%2fa.txt", &[]),
    case("POST", "/a.txt", &["Content-Length: 0"]),
    case("PUT", "/a.txt", &["Content-Length: 0"]),
    case("OPTIONS", "/a.txt", &[]),
    case("GET", "/a.txt", &["If-None-Match: *"]),
    case("GET", "/a.txt", &["If-None-Match: \"nope\""]),
    case("GET", "/a.txt", &["If-Match: \"nope\""]),
    case("GET", "/a.txt", &["If-Match: *"]),
    case(
        "GET",
        "/a.txt",
        &["If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT"],
    ),
    case(
        "GET",
        "/a.txt",
        &["If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT"],
    ),
    case(
        "GET",
        "/a.txt",
        &["If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"],
    ),
    differs("/sub/../a.txt", &[], Diff::DotDot),
    differs("/sub/%2e%2e/a.txt", &[], Diff::DotDot),
    differs("/.hidden", &[], Diff::Hidden),
    differs("/a.txt%00", &[], Diff::Nul),
    differs("/a.txt", &["Range: bytes=0-1"], Diff::Range),
    differs("/sub", &[], Diff::Location),
    differs("/x.js", &[], Diff::JsType),
];

#[test]
fn scale0_and_mongrel2_serve_the_same_directory_alike() {
    let m2 = Mongrel2::start_dir(&populate).unwrap();
    let g = gateway_for(m2.dir(), "");
    for c in CASES {
        let theirs = request(m2.http_port, c.method, c.path, c.headers);
        let ours = request(g.port(), c.method, c.path, c.headers);
        let what = format!("{} {} {:?}", c.method, c.path, c.headers);
        for r in [&theirs, &ours] {
            assert!(!String::from_utf8_lossy(&r.2).contains(SECRET), "{what}");
        }
        match c.diff {
            None => {
                assert_eq!(ours.0, theirs.0, "{what}: status");
                assert_eq!(ours.2, theirs.2, "{what}: body");
                // A 304 from Mongrel2 says `Content-Length: 0`, which RFC 9110 §8.6 forbids
                // (it would be the 200's length); Scale0 sends none.
                let compared: &[&str] = if theirs.0 == 304 {
                    &["content-type"]
                } else {
                    &["content-type", "content-length", "last-modified"]
                };
                for &name in compared {
                    assert_eq!(header(&ours, name), header(&theirs, name), "{what}: {name}");
                }
                if let Some(tag) = header(&theirs, "etag") {
                    assert_eq!(
                        header(&ours, "etag"),
                        Some(format!("\"{tag}\"").as_str()),
                        "{what}: ETag quoted"
                    );
                }
            }
            Some(Diff::DotDot | Diff::Hidden | Diff::Nul) => {
                assert_eq!((theirs.0, ours.0), (200, 404), "{what}");
                assert_eq!(ours.2, b"Not Found", "{what}");
            }
            Some(Diff::Range) => {
                assert_eq!(
                    (theirs.0, theirs.2.as_slice()),
                    (200, &b"hello\n"[..]),
                    "{what}"
                );
                assert_eq!((ours.0, ours.2.as_slice()), (206, &b"he"[..]), "{what}");
            }
            Some(Diff::Location) => {
                assert_eq!((theirs.0, ours.0), (301, 301), "{what}");
                assert_eq!(
                    header(&theirs, "location"),
                    Some("//localhost/sub/"),
                    "{what}"
                );
                assert_eq!(header(&ours, "location"), Some("/sub/"), "{what}");
            }
            Some(Diff::JsType) => {
                assert_eq!(theirs.2, ours.2, "{what}");
                assert_eq!(
                    header(&theirs, "content-type"),
                    Some("application/x-javascript")
                );
                assert_eq!(header(&ours, "content-type"), Some("text/javascript"));
            }
        }
    }
}

#[test]
fn etags_learned_from_mongrel2_still_give_304() {
    let m2 = Mongrel2::start_dir(&populate).unwrap();
    let g = gateway_for(m2.dir(), "");
    let theirs = request(m2.http_port, "GET", "/a.txt", &[]);
    let bare = header(&theirs, "etag").unwrap().to_owned();
    let date = header(&theirs, "last-modified").unwrap().to_owned();
    for h in [
        format!("If-None-Match: {bare}"),
        format!("If-Modified-Since: {date}"),
    ] {
        let m = request(m2.http_port, "GET", "/a.txt", &[h.as_str()]);
        let s = request(g.port(), "GET", "/a.txt", &[h.as_str()]);
        assert_eq!((m.0, s.0), (304, 304), "{h}");
    }
}
