//! The loop's side of handler-backed services: replies read from their SUBs, requests and disconnect
//! notices written to their PUSHes without waiting, and the hand-back of requests a PUSH refused.

use std::time::Instant;

use bytes::Bytes;

use super::event_loop::{Loop, BATCH};
use super::Error;
use crate::engine::{Event, HandlerId};
use crate::protocol::RequestId;

impl Loop {
    /// Feeds up to a batch of reply frames per handler-backed service to the engine; `true` when a SUB
    /// had more.
    pub(super) fn read_handlers(&mut self, now: Instant) -> Result<bool, Error> {
        let mut more = false;
        for index in 0..self.handlers.len() {
            let Some(handler) = self.handlers.id(index) else {
                continue;
            };
            let mut taken = 0;
            while taken < BATCH {
                let Some(frame) = self.handlers.try_recv(index)? else {
                    break;
                };
                let reply = Bytes::copy_from_slice(&frame);
                let event = Event::HandlerReply { handler, reply };
                self.engine.handle(event, now, &mut self.out);
                taken += 1;
            }
            more |= taken == BATCH;
        }
        Ok(more)
    }

    /// Tells the engine which paused handler services' PUSH can take requests again.
    pub(super) fn resume_writable_handlers(&mut self, now: Instant) {
        for handler in self.handlers.unblock_writable() {
            let event = Event::HandlerWritable { handler };
            self.engine.handle(event, now, &mut self.out);
        }
    }

    /// Hands a request to its service's PUSH, or keeps it for [`Loop::return_unsent`].
    pub(super) fn send_to_handler(
        &mut self,
        handler: HandlerId,
        request: RequestId,
        payload: Bytes,
    ) {
        if !self.handlers.try_send(handler, &payload) {
            self.unsent.push((handler, request, payload));
        }
    }

    /// Sends a disconnect notice if the PUSH takes it now; else it is dropped and counted (a handler
    /// that is not reading would not act on it either).
    pub(super) fn send_notice_to_handler(&mut self, handler: HandlerId, notice: &[u8]) {
        if !self.handlers.try_send_notice(handler, notice) {
            self.io.handler_notices_dropped += 1;
            tracing::debug!("handler PUSH full; disconnect notice dropped");
        }
    }

    /// Gives the engine back the requests the PUSHes refused in the last batch, last first, so each
    /// regains its place at the front of its queue in the original order.
    pub(super) fn return_unsent(&mut self, now: Instant) {
        while let Some((handler, request, payload)) = self.unsent.pop() {
            let event = Event::HandlerBusy {
                handler,
                request,
                payload,
            };
            self.engine.handle(event, now, &mut self.out);
        }
    }
}
