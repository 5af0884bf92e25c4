//! Large request bodies the Mongrel2 way (docs/mongrel2-protocol.md §4.3, §4.4), and the extra
//! keys flow control adds to requests (§4.2).
//!
//! [`plan()`] decides per request: inline (the body travels in the message, read whole by
//! `service`), a temp file (`[upload] temp_store`: message 1 with `x-mongrel2-upload-start`, the
//! body spooled to the file, message 2 with both upload keys), or a stream (`upload_stream`:
//! pieces paced by the handler's credits). [`prepare`] builds the messages, and the exchange runs
//! the [`Upload`] while it watches the handler's replies: an empty reply (close), a `ctl cancel`,
//! a client that leaves or a deadline ends the exchange, which drops the upload and so deletes
//! its temp file ([`store::TempFile`]). A completed temp file is deleted when the exchange ends
//! (`cleanup = "after_reply"`) or left to the handler (`"never"`, Mongrel2's way).

pub mod plan;
mod prepare;
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
use tokio::time::Instant;

use crate::config::Cleanup;
use crate::failure::Failure;
use crate::flow::{Notifier, UploadCredits};
use crate::target::{Link, SendError, SendInfo};
pub use plan::{plan, Plan};
pub use prepare::{inline, prepare, Prepared, Setup};
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
