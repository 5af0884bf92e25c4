//! Streamed uploads (`upload_stream`, Mongrel2's `upload.stream=1`, docs §4.4): after the first
//! message (`UPLOAD_STREAM: "0"` and the body bytes that came with the head), the body goes to
//! the handler in pieces `{"UPLOAD_STREAM":"<offset>"}`, each sent only while the handler has
//! credits left (`X ctl credits`), each at most min(credits, `inline_body_bytes`) bytes; the last
//! one adds `UPLOAD_STREAM_DONE`. Chunked bodies go one frame per piece and end with an empty
//! done piece, as Mongrel2 sends one chunk per message.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use mongrel2_compat::request::{self, Protocol};

use super::spool::{add_within, next_data};
use crate::failure::Failure;
use crate::flow::UploadCredits;

/// Where a streamed upload stands, and what its pieces are addressed with.
#[derive(Debug)]
pub struct Stream {
    /// Credits granted by the handler, shared with the exchange that receives them.
    pub credits: Arc<UploadCredits>,
    /// The SENDER field.
    pub sender: String,
    /// The conn id.
    pub conn_id: u64,
    /// The target's header encoding.
    pub protocol: Protocol,
    /// The request's PATH field (pieces keep it).
    pub path: Vec<u8>,
    /// The declared length, `None` for chunked bodies.
    pub total: Option<u64>,
    /// Largest piece (`inline_body_bytes`).
    pub max_piece: usize,
    /// Largest body (`max_body_bytes`).
    pub max_body: u64,
    /// Bytes already sent.
    pub offset: u64,
    /// Bytes read but not sent yet.
    pub leftover: Bytes,
}

/// A piece ready to send, and whether it is the last.
#[derive(Debug)]
pub struct Piece {
    /// The encoded message.
    pub frame: Vec<u8>,
    /// True for the `UPLOAD_STREAM_DONE` piece.
    pub done: bool,
}

/// The body bytes to put in the first message: for a body with a length, those available at
/// once (up to `max`, as Mongrel2 sends what arrived with the head); nothing for chunked bodies.
/// Returns (first, leftover).
pub async fn first_bytes<B>(
    body: &mut B,
    chunked: bool,
    max: usize,
) -> Result<(Bytes, Bytes), Failure>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
{
    if chunked {
        return Ok((Bytes::new(), Bytes::new()));
    }
    let mut first = BytesMut::new();
    while first.len() < max {
        match next_data(body, Duration::ZERO).await {
            Ok(Some(data)) => first.extend_from_slice(&data),
            Ok(None) | Err(Failure::RequestTimeout) => break,
            Err(other) => return Err(other),
        }
    }
    let mut first = first.freeze();
    let leftover = first.split_off(first.len().min(max));
    Ok((first, leftover))
}

impl Stream {
    /// Waits for credits, then reads and encodes the next piece; `None` once the done piece was
    /// produced. 504 when the handler grants nothing for `idle`, 408/400/413 from the body.
    pub async fn next<B>(&mut self, body: &mut B, idle: Duration) -> Result<Option<Piece>, Failure>
    where
        B: hyper::body::Body<Data = Bytes> + Unpin,
    {
        if self.total.is_some_and(|total| self.offset >= total) && self.leftover.is_empty() {
            return Ok(None);
        }
        let credits = self.credits.wait(idle).await.ok_or(Failure::ReplyTimeout)?;
        let want = usize::try_from(credits)
            .unwrap_or(usize::MAX)
            .min(self.max_piece)
            .max(1);
        let data = self.gather(body, want, idle).await?;
        let len = data.len();
        if len == 0 && self.total.is_some() {
            return Err(Failure::BadRequest(
                "the request body ended before its Content-Length",
            ));
        }
        let end = match self.total {
            Some(total) => add_within(self.offset, len, total)? == total,
            None => len == 0,
        };
        add_within(self.offset, len, self.max_body)?;
        let mut frame = Vec::new();
        request::encode_upload_piece(
            self.sender.as_bytes(),
            self.conn_id,
            self.protocol,
            &self.path,
            self.offset,
            end,
            &data,
            &mut frame,
        );
        self.offset = add_within(self.offset, len, u64::MAX)?;
        self.credits.spend(u64::try_from(len).unwrap_or(u64::MAX));
        if end {
            // Nothing follows the done piece.
            self.total = Some(self.offset);
        }
        Ok(Some(Piece { frame, done: end }))
    }

    /// Up to `want` bytes: for a body with a length, frames are joined until `want` or the end;
    /// a chunked body gives one frame (empty at its end).
    async fn gather<B>(
        &mut self,
        body: &mut B,
        want: usize,
        idle: Duration,
    ) -> Result<Bytes, Failure>
    where
        B: hyper::body::Body<Data = Bytes> + Unpin,
    {
        let mut data = BytesMut::new();
        loop {
            if self.leftover.is_empty() {
                if self.total.is_none() && !data.is_empty() {
                    break;
                }
                match next_data(body, idle).await? {
                    Some(more) => self.leftover = more,
                    None => break,
                }
            }
            let take = (want - data.len()).min(self.leftover.len());
            data.extend_from_slice(&self.leftover.split_to(take));
            if data.len() >= want || self.total.is_none() {
                break;
            }
        }
        Ok(data.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::test_body::Frames;

    fn stream(total: Option<u64>, max_piece: usize) -> Stream {
        Stream {
            credits: Arc::new(UploadCredits::default()),
            sender: "S".into(),
            conn_id: 2,
            protocol: Protocol::Json,
            path: b"/up".to_vec(),
            total,
            max_piece,
            max_body: 1 << 20,
            offset: 0,
            leftover: Bytes::new(),
        }
    }

    fn text(piece: &Piece) -> String {
        String::from_utf8_lossy(&piece.frame).into_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn pieces_are_cut_at_min_of_credits_and_the_inline_limit() {
        // Mongrel2 capture flow-02: 1024-byte limit, credits 1500 → 1024 then 476.
        let mut s = stream(Some(2000), 1024);
        s.offset = 700;
        s.total = Some(2700);
        let mut body = Frames::new(&[&[b'x'; 1000], &[b'y'; 1000]]);
        s.credits.grant(1500);
        let a = s
            .next(&mut body, Duration::from_secs(1))
            .await
            .unwrap()
            .unwrap();
        assert!(text(&a).starts_with("S 2 /up 23:{\"UPLOAD_STREAM\":\"700\"},1024:"));
        let b = s
            .next(&mut body, Duration::from_secs(1))
            .await
            .unwrap()
            .unwrap();
        assert!(text(&b).starts_with("S 2 /up 24:{\"UPLOAD_STREAM\":\"1724\"},476:"));
        assert!(!b.done);
        s.credits.grant(1500);
        let c = s
            .next(&mut body, Duration::from_secs(1))
            .await
            .unwrap()
            .unwrap();
        assert!(text(&c).contains("\"UPLOAD_STREAM\":\"2200\",\"UPLOAD_STREAM_DONE\":\"1\"},500:"));
        assert!(c.done);
        assert!(s
            .next(&mut body, Duration::from_secs(1))
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn chunked_bodies_go_frame_by_frame_and_end_with_an_empty_done_piece() {
        // Mongrel2 capture flow-03.
        let mut s = stream(None, 1024);
        let mut body = Frames::new(&[b"hello", b" world"]);
        s.credits.grant(100);
        let expect = [
            "S 2 /up 21:{\"UPLOAD_STREAM\":\"0\"},5:hello,",
            "S 2 /up 21:{\"UPLOAD_STREAM\":\"5\"},6: world,",
            "S 2 /up 47:{\"UPLOAD_STREAM\":\"11\",\"UPLOAD_STREAM_DONE\":\"1\"},0:,",
        ];
        for want in expect {
            let piece = s
                .next(&mut body, Duration::from_secs(1))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(text(&piece), want);
        }
        assert!(s
            .next(&mut body, Duration::from_secs(1))
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn no_credits_within_the_idle_deadline_is_a_reply_timeout() {
        let mut s = stream(Some(10), 1024);
        let mut body = Frames::new(&[b"0123456789"]);
        let err = s.next(&mut body, Duration::from_secs(1)).await.unwrap_err();
        assert!(matches!(err, Failure::ReplyTimeout), "{err:?}");
    }

    #[tokio::test]
    async fn the_first_message_takes_what_is_there_up_to_the_limit() {
        let mut body = Frames::new(&[b"abc", b"def"]);
        let (first, leftover) = first_bytes(&mut body, false, 4).await.unwrap();
        assert_eq!((&first[..], &leftover[..]), (&b"abcd"[..], &b"ef"[..]));
        let mut chunked = Frames::new(&[b"abc"]);
        let (first, _) = first_bytes(&mut chunked, true, 4).await.unwrap();
        assert!(first.is_empty());
    }
}
