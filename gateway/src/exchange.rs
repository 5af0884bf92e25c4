//! One request/response exchange with a Mongrel2 handler: send the request
//! message, wait for the reply head (reply deadline), then stream the body to
//! the client (idle deadline between messages), parsing the raw HTTP the
//! handler writes for the connection.
//!
//! The connection's reply channel is held for the whole exchange, so responses
//! to pipelined requests leave in request order. A deadline that passes ends
//! the client connection (late replies could not be told apart from the next
//! response) and sends the handler a disconnect notice.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{header, HeaderValue, Response};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::body::{Aborted, Body, Chunk};
use crate::conn::Conn;
use crate::failure::Failure;
use crate::http_reply::{self, Event};
use crate::target::{Link, SendError, SendInfo, ToConn};

/// Chunks of a streamed response waiting for a slow client, per response.
pub const BODY_CHANNEL: usize = 16;

/// Deadlines of one route.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// From sending the request to the reply head.
    pub reply: Duration,
    /// Between two reply messages while the body streams.
    pub idle: Duration,
    /// Suggested wait in 503 answers.
    pub retry_after: Duration,
}

/// The reply side of a connection, locked by the exchange in flight.
#[derive(Debug)]
pub struct ReplyState {
    /// Messages for the conn id.
    pub rx: mpsc::Receiver<ToConn>,
    /// Parses the raw HTTP the handler writes, across messages and requests.
    pub parser: http_reply::Parser,
}

/// Sends `frame` to `target` and turns the handler's reply into a response.
pub async fn run(
    conn: Arc<Conn>,
    target: &Link,
    frame: impl Into<crate::upload::Outgoing>,
    head_request: bool,
    info: SendInfo,
    deadlines: Deadlines,
    tracker: &tokio_util::task::TaskTracker,
) -> Result<Response<Body>, Failure> {
    if !conn.use_target(target).await {
        return Err(Failure::Internal("handler target stopped".into()));
    }
    let mut state = conn.reply.clone().lock_owned().await;
    let mut events = Vec::new();
    state
        .parser
        .expect(
            http_reply::RequestInfo {
                head_method: head_request,
            },
            &mut events,
        )
        .map_err(|e| bad_reply(&conn, e))?;
    // Uploads and flow control (crate::upload, crate::flow): the rest of a large body runs
    // beside the wait for the reply; the reply's messages are tracked to the client.
    let crate::upload::Outgoing {
        frame,
        upload,
        output,
    } = frame.into();
    let mut flow =
        crate::flow::Tracker::start(conn.output().clone(), output.max_bytes, output.notifier);
    let upload_credits = upload.as_ref().and_then(crate::upload::Upload::credits);
    let mut uploading = upload.is_some();
    let conn_id = conn.id;
    let mut upload_run = std::pin::pin!(async move {
        match upload {
            Some(upload) => upload.run(conn_id, target).await,
            None => Ok(None),
        }
    });
    let mut temp_file = None;
    let submitted = Instant::now() + deadlines.reply;
    // A broker decides 503 (no worker in time) or 504 itself at `submitted`;
    // the gateway's own timer is a backstop a little later, should the
    // broker's answer be lost.
    let timer = tokio::time::sleep_until(submitted + target.backstop());
    let mut timer = std::pin::pin!(timer);
    let mut ticket = match target.submit(conn.id, frame, submitted, info).await {
        Ok(ticket) => ticket,
        Err(SendError::NoHandler) => {
            give_up(&conn);
            return Err(Failure::NoHandler {
                retry_after: deadlines.retry_after,
            });
        }
        Err(SendError::Overloaded) => {
            return Err(Failure::Overloaded {
                retry_after: deadlines.retry_after,
            })
        }
        Err(SendError::Stopped) => return Err(Failure::UpstreamGone),
    };
    // Until the target confirms the request left, a passing deadline means
    // no handler took it (503); after, that the handler is slow (504).
    let mut taken = false;
    let closing = conn.close_signal().clone().cancelled_owned();
    let mut closing = std::pin::pin!(closing);
    let mut head = None;
    let mut body = BytesMut::new();
    let mut ended = false;
    let mut closed = false;
    let mut upgrade = None;
    loop {
        for event in events.drain(..) {
            match event {
                Event::Head(h) => head = Some(h),
                Event::Body(b) => body.extend_from_slice(&b),
                Event::End => ended = true,
                Event::Informational(_) => {}
                Event::Upgrade(h) => upgrade = Some(h),
            }
        }
        if let Some(h) = upgrade.take() {
            // 101: the caller takes the connection over (WebSocket session).
            return Ok(crate::websocket::switching(h, body.split().freeze()));
        }
        if head.is_some() || closed {
            break;
        }
        let message = tokio::select! {
            // Queued replies first: a handler's data followed by its close
            // message must both be read before the close signal counts.
            biased;
            m = state.rx.recv() => m,
            sent = &mut ticket, if !taken => {
                if sent.is_err() {
                    return Err(Failure::Overloaded {
                        retry_after: deadlines.retry_after,
                    });
                }
                taken = true;
                continue;
            }
            _ = closing.as_mut() => None,
            finished = &mut upload_run, if uploading => {
                uploading = false;
                match finished {
                    Ok(file) => temp_file = file,
                    Err(failure) => {
                        give_up(&conn);
                        return Err(failure);
                    }
                }
                timer.as_mut().reset(Instant::now() + deadlines.reply + target.backstop());
                continue;
            }
            _ = timer.as_mut(), if !uploading || !taken => {
                // The request may leave in the instant the deadline passes:
                // closing the connection (give_up) keeps a late answer from
                // passing for the answer to the client's next request.
                give_up(&conn);
                return Err(if taken {
                    Failure::ReplyTimeout
                } else {
                    Failure::NoHandler {
                        retry_after: deadlines.retry_after,
                    }
                });
            }
        };
        taken = true;
        if let (Some(ToConn::Credits(credits)), Some(upload)) = (&message, &upload_credits) {
            upload.grant(*credits);
        }
        let fed = match message {
            Some(ToConn::Data(bytes)) => {
                flow.message(bytes.len());
                state.parser.feed(&bytes, &mut events)
            }
            Some(ToConn::KeepAlive | ToConn::Credits(_)) => {
                timer.as_mut().reset(Instant::now() + deadlines.reply);
                Ok(())
            }
            Some(ToConn::Close) => {
                closed = true;
                state.parser.finish(&mut events)
            }
            Some(ToConn::Fail {
                status,
                retry_after,
            }) => return Err(broker_failure(status, retry_after)),
            Some(ToConn::Cancel) | None => return Err(Failure::UpstreamGone),
        };
        fed.map_err(|e| bad_reply(&conn, e))?;
    }
    let Some(head) = head else {
        return Err(Failure::UpstreamGone);
    };
    let mut response = build_head(head);
    if closed {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if ended || closed {
        *response.body_mut() = Body::full(flow.chunk(body.freeze()));
        return Ok(response);
    }
    let (tx, streamed) = Body::channel(BODY_CHANNEL);
    *response.body_mut() = streamed;
    let first = flow.chunk(body.freeze());
    tracker.spawn(async move {
        pump(conn, &mut state, tx, first, deadlines.idle, &mut flow).await;
        // An upload's temp file lives until the reply is through (cleanup = "after_reply").
        drop(temp_file);
    });
    Ok(response)
}

/// Streams the rest of a response body from the reply channel to the client.
async fn pump(
    conn: Arc<Conn>,
    state: &mut ReplyState,
    tx: mpsc::Sender<Chunk>,
    first: Bytes,
    idle: Duration,
    flow: &mut crate::flow::Tracker,
) {
    if !first.is_empty() && tx.send(Ok(first)).await.is_err() {
        return;
    }
    let mut events = Vec::new();
    loop {
        let message = tokio::select! {
            // Queued replies first: a handler's data followed by its close
            // message must both be read before the close signal counts.
            biased;
            m = state.rx.recv() => m,
            _ = conn.close_signal().cancelled() => None,
            _ = tokio::time::sleep(idle) => {
                give_up(&conn);
                let _client_gone = tx.send(Err(Aborted("reply idle deadline passed".into()))).await;
                return;
            }
        };
        let (fed, closing) = match message {
            Some(ToConn::Data(bytes)) => {
                flow.message(bytes.len());
                (state.parser.feed(&bytes, &mut events), false)
            }
            Some(ToConn::KeepAlive | ToConn::Credits(_)) => continue,
            Some(ToConn::Close) => (state.parser.finish(&mut events), true),
            Some(ToConn::Cancel | ToConn::Fail { .. }) | None => {
                let _client_gone = tx
                    .send(Err(Aborted("handler dropped the connection".into())))
                    .await;
                return;
            }
        };
        match fed {
            Ok(()) => {}
            Err(e) => {
                let failure = bad_reply(&conn, e);
                let _client_gone = tx.send(Err(Aborted(failure.message()))).await;
                return;
            }
        }
        for event in events.drain(..) {
            match event {
                Event::Body(b) => {
                    if tx.send(Ok(flow.chunk(b))).await.is_err() {
                        return;
                    }
                }
                Event::End => return,
                Event::Head(_) | Event::Informational(_) | Event::Upgrade(_) => {}
            }
        }
        if closing {
            return;
        }
    }
}

/// The failure for a broker's FAIL (the broker already told the worker).
fn broker_failure(status: u16, retry_after: Duration) -> Failure {
    match status {
        503 => Failure::Overloaded { retry_after },
        504 => Failure::ReplyTimeout,
        _ => Failure::UpstreamGone,
    }
}

/// Ends the client connection after a deadline: the handler gets a
/// disconnect notice and late replies find no connection.
fn give_up(conn: &Conn) {
    conn.finish(true);
    conn.close_signal().cancel();
}

fn bad_reply(conn: &Conn, e: http_reply::Error) -> Failure {
    tracing::warn!(conn_id = conn.id, "malformed reply from handler: {e}");
    give_up(conn);
    Failure::BadReply(e.to_string())
}

/// Hop-by-hop headers a handler may write that must not be forwarded as is.
const HOP_BY_HOP: [header::HeaderName; 5] = [
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
];

/// Hop-by-hop fields that are not standard names in `http`.
const HOP_BY_HOP_OTHER: [&str; 2] = ["keep-alive", "proxy-connection"];

fn is_hop_by_hop(name: &header::HeaderName) -> bool {
    HOP_BY_HOP.contains(name) || HOP_BY_HOP_OTHER.contains(&name.as_str())
}

/// The client response head for a handler's response head: hop-by-hop fields
/// dropped, `Connection: close` kept so hyper closes after the response.
fn build_head(head: http_reply::ResponseHead) -> Response<Body> {
    let mut headers = head.headers;
    // One look at the (few) names first: most replies carry no hop-by-hop field.
    if headers.keys().any(is_hop_by_hop) {
        let close = headers.get_all(header::CONNECTION).iter().any(|v| {
            v.as_bytes()
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
        });
        for name in &HOP_BY_HOP {
            headers.remove(name);
        }
        for name in HOP_BY_HOP_OTHER {
            headers.remove(name);
        }
        if close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = head.status;
    *response.headers_mut() = headers;
    let canonical = head.status.canonical_reason().map(str::as_bytes);
    if !head.reason.is_empty() && canonical != Some(&head.reason[..]) {
        // HTTP/1 clients get the handler's own reason phrase, as Mongrel2 passes it.
        if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(head.reason.clone()) {
            response.extensions_mut().insert(reason);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(fields: &[(&'static str, &'static str)]) -> http_reply::ResponseHead {
        let mut headers = http::HeaderMap::new();
        for (name, value) in fields {
            headers.append(*name, HeaderValue::from_static(value));
        }
        http_reply::ResponseHead {
            version: http::Version::HTTP_11,
            status: http::StatusCode::OK,
            reason: bytes::Bytes::from_static(b"OK"),
            headers,
        }
    }

    #[test]
    fn hop_by_hop_fields_are_dropped_and_close_is_kept() {
        let response = build_head(head(&[
            ("content-type", "text/plain"),
            ("connection", "keep-alive, Close"),
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("transfer-encoding", "chunked"),
            ("te", "trailers"),
            ("trailer", "x-sum"),
            ("upgrade", "h2c"),
            ("x-kept", "1"),
        ]));
        let names: Vec<&str> = response.headers().keys().map(|n| n.as_str()).collect();
        assert_eq!(names, ["content-type", "x-kept", "connection"]);
        assert_eq!(response.headers()[header::CONNECTION], "close");
    }

    #[test]
    fn end_to_end_fields_pass_untouched() {
        let fields = [("content-length", "13"), ("content-type", "text/plain")];
        let response = build_head(head(&fields));
        assert_eq!(response.headers().len(), 2);
        let keep_alive = build_head(head(&[("connection", "keep-alive")]));
        assert!(
            keep_alive.headers().is_empty(),
            "Connection without close is dropped"
        );
    }
}
