//! Large request bodies the Mongrel2 way (docs/mongrel2-protocol.md §4.3, §4.4), and the extra
//! keys flow control adds to requests (§4.2).
//!
//! [`plan`] decides per request: inline (the body travels in the message, read whole by
//! `service`), a temp file (`[upload] temp_store`: message 1 with `x-mongrel2-upload-start`, the
//! body spooled to the file, message 2 with both upload keys), or a stream (`upload_stream`:
//! pieces paced by the handler's credits). [`prepare`] builds the messages, and the exchange runs
//! the [`Upload`] while it watches the handler's replies: an empty reply (close), a `ctl cancel`,
//! a client that leaves or a deadline ends the exchange, which drops the upload and so deletes
//! its temp file ([`store::TempFile`]). A completed temp file is deleted when the exchange ends
//! (`cleanup = "after_reply"`) or left to the handler (`"never"`, Mongrel2's way).

pub mod plan;
pub mod spool;
pub mod store;
pub mod stream;
#[cfg(test)]
mod test_body;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use mongrel2_compat::request::key;
use tokio::time::Instant;

use crate::config::{Cleanup, RouteSettings, UploadStore};
use crate::failure::Failure;
use crate::flow::{credits, Notifier, UploadCredits};
use crate::target::{Link, SendError, SendInfo};
use crate::translate;
pub use plan::{plan, Plan};
use store::TempFile;

/// What an exchange sends: the first message, and the rest of a large body if any.
#[derive(Debug)]
pub struct Outgoing {
    /// The request message (message 1 of an upload).
    pub frame: Vec<u8>,
    /// The body still to deliver after `frame`.
    pub upload: Option<Upload>,
    /// Output cap and download credits for the reply.
    pub output: Output,
}

/// How the reply to one request is accounted (crate::flow).
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// `max_output_bytes`; zero: not accounted.
    pub max_bytes: u64,
    /// With download credits on: who receives the credits notices.
    pub notifier: Option<Notifier>,
}

impl From<Vec<u8>> for Outgoing {
    fn from(frame: Vec<u8>) -> Outgoing {
        Outgoing {
            frame,
            upload: None,
            output: Output::default(),
        }
    }
}

/// The rest of a large request body, run by the exchange after message 1 left.
#[derive(Debug)]
pub struct Upload {
    body: Incoming,
    kind: Kind,
    idle: Duration,
    reply: Duration,
    info: SendInfo,
}

#[derive(Debug)]
enum Kind {
    /// Spool to `file`, then send `done`.
    TempFile {
        file: TempFile,
        handle: tokio::fs::File,
        done: Vec<u8>,
        max_body: u64,
        cleanup: Cleanup,
    },
    /// Send credit-paced pieces.
    Stream(stream::Stream),
}

impl Upload {
    /// The credits a streamed upload waits for (the exchange grants them from `X ctl credits`).
    pub fn credits(&self) -> Option<Arc<UploadCredits>> {
        match &self.kind {
            Kind::Stream(s) => Some(s.credits.clone()),
            Kind::TempFile { .. } => None,
        }
    }

    /// Delivers the rest of the body to `target` for `conn_id`. Returns the temp file to keep
    /// until the exchange ends (`None`: nothing to clean or left to the handler). Dropping the
    /// future (exchange ended early) deletes the file. Not cancel-safe: poll it to the end.
    pub async fn run(self, conn_id: u64, target: &Link) -> Result<Option<TempFile>, Failure> {
        let Upload {
            mut body,
            kind,
            idle,
            reply,
            info,
        } = self;
        match kind {
            Kind::TempFile {
                file,
                mut handle,
                done,
                max_body,
                cleanup,
            } => {
                spool::spool(&mut body, &mut handle, max_body, idle).await?;
                drop(handle);
                send(target, conn_id, done, reply, info).await?;
                if cleanup == Cleanup::Never {
                    file.keep();
                    return Ok(None);
                }
                Ok(Some(file))
            }
            Kind::Stream(mut stream) => {
                while let Some(piece) = stream.next(&mut body, idle).await? {
                    send(target, conn_id, piece.frame, reply, info).await?;
                    if piece.done {
                        break;
                    }
                }
                Ok(None)
            }
        }
    }
}

/// Sends one more message of the request and waits until it left the gateway.
async fn send(
    target: &Link,
    conn_id: u64,
    frame: Vec<u8>,
    reply: Duration,
    info: SendInfo,
) -> Result<(), Failure> {
    let deadline = Instant::now() + reply;
    let ticket = target
        .submit(conn_id, frame, deadline, info)
        .await
        .map_err(|e| match e {
            SendError::NoHandler | SendError::Overloaded => Failure::Overloaded {
                retry_after: Duration::from_secs(1),
            },
            SendError::Stopped => Failure::UpstreamGone,
        })?;
    match tokio::time::timeout_at(deadline, ticket).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) | Err(_) => Err(Failure::Overloaded {
            retry_after: Duration::from_secs(1),
        }),
    }
}

/// The request's messages and upload, or its body to read inline.
#[derive(Debug)]
pub enum Prepared {
    /// Small body: read it whole (service's `read_body`), then call [`inline`].
    Inline(Incoming),
    /// Large body: message 1 and the upload.
    Large(Box<Outgoing>),
}

/// Everything [`prepare`] and [`inline`] need besides the request.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    /// The route's settings.
    pub settings: &'a RouteSettings,
    /// `[upload]`, if configured.
    pub store: Option<&'a UploadStore>,
    /// The route's target.
    pub target: &'a Link,
    /// What the request tells its target.
    pub info: SendInfo,
}

/// Plans the request's body and, for a large one, creates its temp file (or stream state) and
/// builds message 1. 413 when the body may not be taken, 500 when the temp file cannot be made.
pub async fn prepare(
    parts: &http::request::Parts,
    body: Incoming,
    ctx: &translate::Context<'_>,
    setup: Setup<'_>,
) -> Result<Prepared, Failure> {
    let streamable = matches!(setup.target, Link::Handler(_));
    let chosen = plan(
        parts,
        hyper::body::Body::is_end_stream(&body),
        setup.settings,
        setup.store.is_some(),
        streamable,
    )?;
    let store = match (chosen, setup.store) {
        (Plan::Inline, _) => return Ok(Prepared::Inline(body)),
        (Plan::Stream { chunked }, _) => {
            return stream_upload(parts, body, ctx, setup, chunked).await
        }
        (Plan::TempFile, Some(store)) => store,
        (Plan::TempFile, None) => {
            return Err(Failure::Internal(
                "temp-file upload planned without an upload store".into(),
            ))
        }
    };
    let (file, handle) = TempFile::create(store)
        .await
        .map_err(|e| Failure::Internal(format!("creating an upload temp file: {e}")))?;
    let path = file.path_bytes();
    let start_path = path.clone();
    let credits = download_credits(setup);
    let frame = message(parts, b"", ctx, credits, |b| {
        b.extra(key::UPLOAD_START, start_path)
    })?;
    let done = message(parts, b"", ctx, credits, |b| {
        b.extra(key::UPLOAD_START, path.clone())
            .extra(key::UPLOAD_DONE, path)
    })?;
    let upload = Upload {
        body,
        kind: Kind::TempFile {
            file,
            handle,
            done,
            max_body: setup.settings.max_body_bytes,
            cleanup: store.cleanup,
        },
        idle: setup.settings.idle_timeout,
        reply: setup.settings.reply_timeout,
        info: setup.info,
    };
    Ok(Prepared::Large(Box::new(Outgoing {
        frame,
        upload: Some(upload),
        output: output(setup, ctx.conn_id),
    })))
}

/// The message for a small body read whole.
pub fn inline(
    parts: &http::request::Parts,
    body: &[u8],
    ctx: &translate::Context<'_>,
    setup: Setup<'_>,
) -> Result<Outgoing, Failure> {
    let frame = message(parts, body, ctx, download_credits(setup), |b| b)?;
    Ok(Outgoing {
        frame,
        upload: None,
        output: output(setup, ctx.conn_id),
    })
}

/// Message 1 of a streamed upload and the stream state.
async fn stream_upload(
    parts: &http::request::Parts,
    mut body: Incoming,
    ctx: &translate::Context<'_>,
    setup: Setup<'_>,
    chunked: bool,
) -> Result<Prepared, Failure> {
    let max_piece = setup.settings.inline_body_bytes;
    let (first, leftover) = stream::first_bytes(&mut body, chunked, max_piece).await?;
    let frame = message(parts, &first, ctx, download_credits(setup), |b| {
        b.extra(key::UPLOAD_STREAM, b"0".as_slice())
    })?;
    let total = if chunked {
        None
    } else {
        plan::declared_length(parts)
    };
    let stream = stream::Stream {
        credits: Arc::new(UploadCredits::default()),
        sender: ctx.sender.to_owned(),
        conn_id: ctx.conn_id,
        protocol: ctx.protocol,
        path: plan::frame_path(parts).as_bytes().to_vec(),
        total,
        max_piece,
        max_body: setup.settings.max_body_bytes,
        offset: u64::try_from(first.len()).unwrap_or(u64::MAX),
        leftover,
    };
    let upload = Upload {
        body,
        kind: Kind::Stream(stream),
        idle: setup.settings.idle_timeout,
        reply: setup.settings.reply_timeout,
        info: setup.info,
    };
    Ok(Prepared::Large(Box::new(Outgoing {
        frame,
        upload: Some(upload),
        output: output(setup, ctx.conn_id),
    })))
}

/// Whether requests carry `DOWNLOAD_CREDITS` (handler targets with `download_credits`).
fn download_credits(setup: Setup<'_>) -> bool {
    setup.settings.download_credits && matches!(setup.target, Link::Handler(_))
}

/// The reply accounting of the route.
fn output(setup: Setup<'_>, conn_id: u64) -> Output {
    let notifier = match setup.target {
        Link::Handler(h) if setup.settings.download_credits => {
            Some(Notifier::new(h.clone(), conn_id))
        }
        _ => None,
    };
    Output {
        max_bytes: setup.settings.max_output_bytes,
        notifier,
    }
}

/// One request message with `DOWNLOAD_CREDITS` (when on) and the keys `more` adds, in the order
/// Mongrel2 sets them (credits at routing, upload keys later).
fn message(
    parts: &http::request::Parts,
    body: &[u8],
    ctx: &translate::Context<'_>,
    credits: bool,
    more: impl for<'b> FnOnce(
        mongrel2_compat::request::Builder<'b>,
    ) -> mongrel2_compat::request::Builder<'b>,
) -> Result<Vec<u8>, Failure> {
    translate::to_message_with(parts, body, ctx, |b| {
        let b = if credits {
            b.extra(
                key::DOWNLOAD_CREDITS,
                credits::INITIAL_DOWNLOAD_CREDITS_TEXT.as_bytes(),
            )
        } else {
            b
        };
        more(b)
    })
    .map_err(|_| Failure::BadRequest("request cannot be expressed as a Mongrel2 message"))
}
