//! Streams part of a large file into a response body in bounded chunks, so a
//! download holds at most [`QUEUE_CHUNKS`] + 1 chunks of memory however big
//! the file, and a slow client slows the reads instead of growing a buffer.

use std::io::SeekFrom;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use crate::body::{Aborted, Body, Chunk};

/// Bytes read from the file per chunk.
pub const CHUNK_BYTES: u64 = 64 * 1024;
/// Chunks queued between the reading task and the client.
pub const QUEUE_CHUNKS: usize = 4;

/// A body of `count` bytes of `file` from `start`, read by a task on `tracker`
/// that ends when the body is done or dropped (client gone). If the file
/// shrinks meanwhile, the body is aborted (its Content-Length cannot be met).
pub fn body(file: std::fs::File, start: u64, count: u64, tracker: &TaskTracker) -> Body {
    let (tx, body) = Body::channel(QUEUE_CHUNKS);
    tracker.spawn(pump(tokio::fs::File::from_std(file), start, count, tx));
    body
}

async fn pump(mut file: tokio::fs::File, start: u64, count: u64, tx: mpsc::Sender<Chunk>) {
    if let Err(e) = copy(&mut file, start, count, &tx).await {
        tracing::debug!("dir target: streaming a file: {}", e.0);
        // The client may be gone already; then there is nobody to tell.
        let _client_gone = tx.send(Err(e)).await;
    }
}

async fn copy(
    file: &mut tokio::fs::File,
    start: u64,
    count: u64,
    tx: &mpsc::Sender<Chunk>,
) -> Result<(), Aborted> {
    file.seek(SeekFrom::Start(start))
        .await
        .map_err(|e| Aborted(format!("seek: {e}")))?;
    let mut left = count;
    while left > 0 {
        let want = usize::try_from(left.min(CHUNK_BYTES)).unwrap_or(64 * 1024);
        let mut buf = vec![0u8; want];
        let n = file
            .read(&mut buf)
            .await
            .map_err(|e| Aborted(format!("read: {e}")))?;
        if n == 0 {
            return Err(Aborted("the file shrank while being sent".into()));
        }
        buf.truncate(n);
        left = left.saturating_sub(u64::try_from(n).unwrap_or(u64::MAX));
        if tx.send(Ok(Bytes::from(buf))).await.is_err() {
            return Ok(()); // The client went away; stop reading.
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn file_of(bytes: &[u8]) -> (tempfile::NamedTempFile, std::fs::File) {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), bytes).unwrap();
        let f = std::fs::File::open(tmp.path()).unwrap();
        (tmp, f)
    }

    #[tokio::test]
    async fn streams_the_requested_slice_in_chunks() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let (_tmp, f) = file_of(&data);
        let tracker = TaskTracker::new();
        let got = body(f, 1000, 200_000, &tracker)
            .collect()
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(&got[..], &data[1000..201_000]);
    }

    #[tokio::test]
    async fn a_file_shorter_than_promised_aborts_the_body() {
        let (_tmp, f) = file_of(&[1u8; 10]);
        let tracker = TaskTracker::new();
        assert!(body(f, 0, 20, &tracker).collect().await.is_err());
    }
}
