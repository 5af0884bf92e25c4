//! Building the messages of one request (crate::upload): the plan, the temp file or stream
//! state of a large body, message 1 (and the upload-done message), with `DOWNLOAD_CREDITS` when
//! the route asks for it.

use std::sync::Arc;

use hyper::body::Incoming;
use mongrel2_compat::request::key;

use super::store::TempFile;
use super::{plan, stream, Kind, Outgoing, Output, Plan, Upload};
use crate::config::{RouteSettings, UploadStore};
use crate::failure::Failure;
use crate::flow::{credits, Notifier, UploadCredits};
use crate::target::{Link, SendInfo};
use crate::translate;

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
        super::plan::declared_length(parts)
    };
    let stream = stream::Stream {
        credits: Arc::new(UploadCredits::default()),
        sender: ctx.sender.to_owned(),
        conn_id: ctx.conn_id,
        protocol: ctx.protocol,
        path: super::plan::frame_path(parts).as_bytes().to_vec(),
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
pub(super) fn message(
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
