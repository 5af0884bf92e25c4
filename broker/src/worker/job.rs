//! [`Job`]: one request (or cancel notice) handed to user code, with the handler-style reply methods of
//! `mongrel2_compat::handler::Connection` and the DONE that gives the slot back.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use mongrel2_compat::handler::{http_response, MAX_IDENTS};
use mongrel2_compat::reply;
use mongrel2_compat::request::{self, Request};
use mongrel2_compat::websocket::{self, Opcode};

use super::outbox::Outbox;
use super::session::{Delivery, Outbound};
use super::Error;
use crate::protocol::RequestId;

/// One request the broker dispatched to this worker, or the cancel notice of one ([`Job::is_cancel`]).
///
/// A request job holds one of the worker's capacity slots until [`Job::done`] (or drop) sends DONE, so
/// a slot is never leaked by an early return or a panic. It owns the request frame; [`Job::request`]
/// decodes it on demand, borrowing. `Send`: hand it to another thread or task to work on.
#[derive(Debug)]
pub struct Job {
    delivery: Delivery,
    outbox: Outbox,
    finished: bool,
}

impl Job {
    pub(crate) fn new(delivery: Delivery, outbox: Outbox) -> Job {
        let finished = delivery.cancel;
        Job {
            delivery,
            outbox,
            finished,
        }
    }

    /// Registration epoch the job belongs to.
    pub(crate) fn epoch(&self) -> u64 {
        self.delivery.epoch
    }

    /// Drops the job without sending DONE: for the I/O thread, which must never wait on its own outbox.
    pub(crate) fn disarm(mut self) {
        self.finished = true;
    }

    /// The Mongrel2 message decoded: the request, or for a cancel the disconnect notice (a request whose
    /// PATH is `@*`), exactly what a Mongrel2 handler would parse.
    pub fn request(&self) -> Result<Request<'_>, request::Error> {
        request::decode(&self.delivery.payload)
    }

    /// The Mongrel2 message bytes as the broker sent them.
    pub fn payload(&self) -> &[u8] {
        &self.delivery.payload
    }

    /// The gateway's sender id (the UUID replies are addressed to).
    pub fn sender(&self) -> &[u8] {
        &self.delivery.sender
    }

    /// The client connection the request came from.
    pub fn conn_id(&self) -> u64 {
        self.delivery.conn_id
    }

    /// The broker's id of the request (echoed in DONE), for logs.
    pub fn id(&self) -> RequestId {
        self.delivery.request
    }

    /// True when this job is a CANCEL: the client of request [`Job::id`] went away or timed out. The
    /// request's own job still has to be finished; this one holds no slot.
    pub fn is_cancel(&self) -> bool {
        self.delivery.cancel
    }

    /// True once the broker cancelled this request, or the registration it came from was abandoned
    /// (broker lost, shutdown grace elapsed): long work can poll it and stop early.
    pub fn is_cancelled(&self) -> bool {
        self.delivery.cancelled.load(Ordering::Acquire)
    }

    /// Sends raw `data` (part of an HTTP response, a WebSocket frame) to the request's connection.
    pub fn reply(&self, data: &[u8]) -> Result<(), Error> {
        self.deliver(&[self.delivery.conn_id], data)
    }

    /// Sends a complete HTTP response (status line, `headers`, a computed `Content-Length`, `body`).
    pub fn reply_http(
        &self,
        body: &[u8],
        code: u16,
        status: &str,
        headers: &[(&str, &str)],
    ) -> Result<(), Error> {
        self.reply(&http_response(body, code, status, headers))
    }

    /// Sends one WebSocket frame (unmasked, FIN set) to the request's connection.
    pub fn reply_websocket(&self, opcode: Opcode, payload: &[u8]) -> Result<(), Error> {
        let mut frame = Vec::with_capacity(payload.len().saturating_add(10));
        websocket::encode_frame(true, opcode, payload, &mut frame)?;
        self.reply(&frame)
    }

    /// Sends raw `data` to every connection in `ids` of the same gateway (broadcasts, N:M replies),
    /// split into messages of at most [`MAX_IDENTS`] ids. Empty `data` closes them.
    pub fn deliver(&self, ids: &[u64], data: &[u8]) -> Result<(), Error> {
        if !self.outbox.shared.is_current(self.delivery.epoch) {
            return Err(self.void());
        }
        for chunk in ids.chunks(MAX_IDENTS) {
            let mut frame = Vec::with_capacity(data.len().saturating_add(64));
            reply::encode(&self.delivery.sender, chunk, data, &mut frame);
            self.outbox.send(Outbound::Reply {
                epoch: self.delivery.epoch,
                reply: Bytes::from(frame),
            })?;
        }
        Ok(())
    }

    /// Closes the request's connection (an empty reply), as a Mongrel2 handler does after a response to
    /// HTTP/1.0 or `Connection: close` (see `mongrel2_compat::handler::should_close`).
    pub fn close(&self) -> Result<(), Error> {
        self.reply(b"")
    }

    /// Sends raw `data` to the request's connection and finishes the request, as [`Job::reply`] then
    /// [`Job::done`] would, in one REPLY-DONE message (S0W/1.1) instead of two: the common "one reply,
    /// then done" request costs the worker, the broker and the wire half the messages on the way back.
    /// On a cancel notice it only replies.
    pub fn reply_and_done(mut self, data: &[u8]) -> Result<(), Error> {
        if self.finished {
            return self.reply(data);
        }
        self.finished = true;
        if !self.outbox.shared.is_current(self.delivery.epoch) {
            return Err(self.void());
        }
        let mut frame = Vec::with_capacity(data.len().saturating_add(64));
        reply::encode(
            &self.delivery.sender,
            &[self.delivery.conn_id],
            data,
            &mut frame,
        );
        self.outbox.send(Outbound::ReplyDone {
            epoch: self.delivery.epoch,
            request: self.delivery.request,
            reply: Bytes::from(frame),
        })
    }

    /// Sends a complete HTTP response, as [`Job::reply_http`], and finishes the request in the same
    /// message ([`Job::reply_and_done`]).
    pub fn reply_http_and_done(
        self,
        body: &[u8],
        code: u16,
        status: &str,
        headers: &[(&str, &str)],
    ) -> Result<(), Error> {
        self.reply_and_done(&http_response(body, code, status, headers))
    }

    /// Finishes the request: DONE goes to the broker after every reply sent before it, and the slot takes
    /// new work. A job of an abandoned registration, or a cancel notice, has nothing to give back.
    pub fn done(mut self) -> Result<(), Error> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), Error> {
        if std::mem::replace(&mut self.finished, true) {
            return Ok(());
        }
        if !self.outbox.shared.is_current(self.delivery.epoch) {
            return Ok(());
        }
        self.outbox.send(Outbound::Done {
            epoch: self.delivery.epoch,
            request: self.delivery.request,
        })
    }

    /// Why a job can no longer reply.
    fn void(&self) -> Error {
        if self.outbox.shared.stopped.load(Ordering::Acquire) {
            Error::Stopped
        } else {
            Error::Abandoned
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Err(error) = self.finish() {
            tracing::debug!(%error, request = ?self.delivery.request, "DONE on drop not sent");
        }
    }
}
