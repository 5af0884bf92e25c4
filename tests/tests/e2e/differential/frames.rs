//! Handler frames: what Scale0 should send where Mongrel2 sent a given frame,
//! given the frame-level differences a case lists (§2–§4).

use mongrel2_compat::request::{self, key, HeaderValue, Headers, Request};
use scale0_tests::recorder::Frame;

use super::Diff;

/// Lossy text, for comparing and printing bytes.
pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A disconnect or credits notice (PATH `@*`).
pub(super) fn is_notice(frame: &Frame) -> bool {
    request::decode(&frame.bytes).is_ok_and(|r| r.is_notice())
}

/// The frame Scale0 should send for a request Mongrel2 sent as `frame`.
/// Notices are the same on both servers.
pub(super) fn as_scale0_sends(frame: &[u8], diffs: &[Diff]) -> Vec<u8> {
    let req = request::decode(frame).unwrap();
    if req.is_notice() {
        return frame.to_vec();
    }
    let absolute = diffs.contains(&Diff::AbsoluteForm);
    let trim = diffs.contains(&Diff::TrimmedValues);
    let path = if absolute {
        strip_authority(req.path)
    } else {
        req.path.to_vec()
    };
    let mut headers = Headers::new();
    for (name, value) in req.headers.iter() {
        // §2: no FRAGMENT key.
        if name == key::FRAGMENT && diffs.contains(&Diff::NoFragment) {
            continue;
        }
        let value = if absolute && (name == key::PATH || name == key::URI) {
            // §4: PATH and URI from the target's path.
            HeaderValue::One(strip_authority(value.first()).into())
        } else if trim && !name.iter().any(u8::is_ascii_uppercase) {
            // §3: client header values (lower-case keys) without trailing spaces.
            let trimmed = |v: &[u8]| v.trim_ascii_end().to_vec().into();
            match value {
                HeaderValue::One(v) => HeaderValue::One(trimmed(v)),
                HeaderValue::Many(vs) => HeaderValue::Many(vs.iter().map(|v| trimmed(v)).collect()),
            }
        } else {
            value.clone()
        };
        headers.push(name.to_vec(), value);
    }
    Request {
        path: &path,
        headers,
        ..req
    }
    .to_vec()
}

/// `//host/path` (Mongrel2's PATH for `http://host/path`) → `/path`.
fn strip_authority(path: &[u8]) -> Vec<u8> {
    let rest = path.strip_prefix(b"//").unwrap_or(path);
    match rest.iter().position(|&b| b == b'/') {
        Some(i) if rest.len() < path.len() => rest[i..].to_vec(),
        _ => path.to_vec(),
    }
}
