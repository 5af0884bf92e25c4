//! Copies a request body into its temp file in constant memory: one body frame at a time (hyper
//! hands frames of at most its read buffer, already de-chunked), against the route's
//! `max_body_bytes` cap and an idle deadline between frames.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::failure::Failure;

/// Reads `body` to its end into `file`; returns the bytes written. 413 past `max` bytes, 408 when
/// the client is silent for `idle`, 400 when the body breaks off (client gone, bad chunking).
pub async fn spool<B, W>(
    body: &mut B,
    file: &mut W,
    max: u64,
    idle: Duration,
) -> Result<u64, Failure>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut total = 0u64;
    while let Some(data) = next_data(body, idle).await? {
        total = add_within(total, data.len(), max)?;
        file.write_all(&data)
            .await
            .map_err(|e| Failure::Internal(format!("writing an upload temp file: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| Failure::Internal(format!("writing an upload temp file: {e}")))?;
    Ok(total)
}

/// The next data frame of `body` (trailers skipped), `None` at its end.
pub async fn next_data<B>(body: &mut B, idle: Duration) -> Result<Option<Bytes>, Failure>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
{
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(Failure::RequestTimeout),
            Ok(None) => return Ok(None),
            Ok(Some(Err(_))) => {
                return Err(Failure::BadRequest("the request body could not be read"))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            return Ok(Some(data));
        }
    }
}

/// `total + len`, or 413 when that passes `max`.
pub fn add_within(total: u64, len: usize, max: u64) -> Result<u64, Failure> {
    u64::try_from(len)
        .ok()
        .and_then(|len| total.checked_add(len))
        .filter(|sum| *sum <= max)
        .ok_or(Failure::BodyTooLarge { limit: max })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    pub(crate) use crate::upload::test_body::Frames;

    fn chunks(parts: &[&'static [u8]]) -> Frames {
        Frames::new(parts)
    }

    #[tokio::test]
    async fn frames_are_written_in_order() {
        let mut out = Vec::new();
        let mut body = chunks(&[b"hello", b", ", b"world"]);
        let n = spool(&mut body, &mut out, 100, Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(n, 12);
        assert_eq!(out, b"hello, world");
    }

    #[tokio::test]
    async fn a_body_past_the_cap_is_413() {
        let mut out = Vec::new();
        let mut body = Full::new(Bytes::from_static(b"0123456789"));
        let err = spool(&mut body, &mut out, 9, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, Failure::BodyTooLarge { limit: 9 }), "{err:?}");
    }

    #[test]
    fn sizes_add_with_checked_arithmetic() {
        assert!(add_within(u64::MAX, 1, u64::MAX).is_err());
        assert_eq!(add_within(5, 5, 10).unwrap(), 10);
    }
}
