//! Which way a request body goes (sans-IO): Mongrel2 takes a body inline up to
//! `limits.content_length` and sends larger or chunked bodies the upload way, or answers 413
//! when no `upload.temp_store` is set.

use http::{header, request::Parts};

use crate::config::RouteSettings;
use crate::failure::Failure;

/// The way of one request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Read whole and sent inside the request message.
    Inline,
    /// Spooled to a temp file between the upload-start and upload-done messages.
    TempFile,
    /// Sent in credit-paced pieces (`upload_stream`).
    Stream {
        /// No declared length: pieces follow the body's frames and a final empty piece ends it.
        chunked: bool,
    },
}

/// Decides the way of a body from its head. `end_stream` says the body is known to be empty;
/// `has_store` whether `[upload] temp_store` is set; `streamable` whether the target can take
/// pieces (handler targets). Errors: 413 when the declared length passes `max_body_bytes`, or
/// passes `inline_body_bytes` with nowhere to put it.
///
/// A body without a declared length (chunked, or HTTP/2 without `content-length`) goes the
/// upload way when one is configured, as in Mongrel2; without one it is read inline up to
/// `inline_body_bytes` (Mongrel2 answers 413 to every chunked body then; Scale0 keeps small
/// ones working).
pub fn plan(
    parts: &Parts,
    end_stream: bool,
    settings: &RouteSettings,
    has_store: bool,
    streamable: bool,
) -> Result<Plan, Failure> {
    let declared = declared_length(parts);
    if declared.is_some_and(|n| n > settings.max_body_bytes) {
        return Err(Failure::BodyTooLarge {
            limit: settings.max_body_bytes,
        });
    }
    let inline = u64::try_from(settings.inline_body_bytes).unwrap_or(u64::MAX);
    let chunked = declared.is_none() && (is_chunked(parts) || !end_stream);
    let large = chunked || declared.is_some_and(|n| n > inline);
    if !large {
        return Ok(Plan::Inline);
    }
    if settings.upload_stream && streamable {
        return Ok(Plan::Stream { chunked });
    }
    if has_store {
        return Ok(Plan::TempFile);
    }
    if chunked {
        return Ok(Plan::Inline);
    }
    Err(Failure::BodyTooLarge { limit: inline })
}

/// The `Content-Length` value, if one valid value was sent (hyper rejects conflicting ones).
pub fn declared_length(parts: &Parts) -> Option<u64> {
    parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// True when the client sent `Transfer-Encoding` (hyper accepts it only ending in chunked).
fn is_chunked(parts: &Parts) -> bool {
    parts.headers.contains_key(header::TRANSFER_ENCODING)
}

/// The PATH field of the request's messages: the request path, `/` when empty.
pub fn frame_path(parts: &Parts) -> &str {
    match parts.uri.path() {
        "" => "/",
        path => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder().method("POST").uri("/up");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn settings(stream: bool) -> RouteSettings {
        RouteSettings {
            inline_body_bytes: 1024,
            max_body_bytes: 10_000,
            upload_stream: stream,
            ..RouteSettings::default()
        }
    }

    #[test]
    fn small_bodies_stay_inline() {
        let p = parts(&[("content-length", "1024")]);
        assert_eq!(
            plan(&p, false, &settings(false), true, true).unwrap(),
            Plan::Inline
        );
    }

    #[test]
    fn large_bodies_go_to_the_temp_file_when_a_store_is_set() {
        let p = parts(&[("content-length", "1025")]);
        assert_eq!(
            plan(&p, false, &settings(false), true, true).unwrap(),
            Plan::TempFile
        );
    }

    #[test]
    fn large_bodies_without_a_store_are_413_at_the_inline_limit() {
        let p = parts(&[("content-length", "1025")]);
        let err = plan(&p, false, &settings(false), false, true).unwrap_err();
        assert!(matches!(err, Failure::BodyTooLarge { limit: 1024 }));
    }

    #[test]
    fn bodies_past_max_body_bytes_are_413_before_anything_else() {
        let p = parts(&[("content-length", "10001")]);
        let err = plan(&p, false, &settings(true), true, true).unwrap_err();
        assert!(matches!(err, Failure::BodyTooLarge { limit: 10_000 }));
    }

    #[test]
    fn chunked_bodies_take_the_upload_way_even_when_small() {
        let p = parts(&[("transfer-encoding", "chunked")]);
        assert_eq!(
            plan(&p, false, &settings(false), true, true).unwrap(),
            Plan::TempFile
        );
        assert_eq!(
            plan(&p, false, &settings(true), true, true).unwrap(),
            Plan::Stream { chunked: true }
        );
        assert_eq!(
            plan(&p, false, &settings(false), false, true).unwrap(),
            Plan::Inline
        );
    }

    #[test]
    fn streaming_needs_a_target_that_takes_pieces() {
        let p = parts(&[("content-length", "5000")]);
        assert_eq!(
            plan(&p, false, &settings(true), false, true).unwrap(),
            Plan::Stream { chunked: false }
        );
        assert_eq!(
            plan(&p, false, &settings(true), true, false).unwrap(),
            Plan::TempFile
        );
    }

    #[test]
    fn bodiless_requests_are_inline() {
        let p = parts(&[]);
        assert_eq!(
            plan(&p, true, &settings(true), true, true).unwrap(),
            Plan::Inline
        );
    }
}
