//! The requests a standalone link handed to the broker that still await their first reply, so that a
//! silent broker's requests can be failed at once instead of hanging. Sans-IO and bounded.
//!
//! A request leaves the table when a reply names its conn id (the response has started: from then on
//! the gateway's own idle timeout applies), when the broker FAILs it, when the gateway cancels it, or
//! when its expiry passes (its deadline plus one broker-silence period: by then the broker has either
//! failed it or been declared down, so an entry that old only means a message was lost).
//!
//! An idempotent request keeps what it takes to submit it again ([`Retry`]): when the broker is lost
//! before its first reply, the link parks it and submits it again once a broker answers, within its
//! deadline, instead of failing it (as the broker itself re-dispatches an idempotent request whose
//! worker died).

use std::collections::hash_map::Entry as MapEntry;
use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use crate::envelope;
use crate::idmap::{id_map, IdMap};
use crate::protocol::ServiceName;

/// What submitting a request again takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Retry {
    pub(crate) service: ServiceName,
    pub(crate) payload: Bytes,
    /// The end of the request's deadline: past it, it is not submitted again.
    pub(crate) deadline_at: Instant,
}

/// One outstanding request.
#[derive(Debug, Clone)]
struct Entry {
    conn_id: Option<u32>,
    expires_at: Instant,
    retry: Option<Retry>,
}

/// The table is full; the caller fails the submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// Outstanding requests by id, with a per-connection FIFO so a reply starts the oldest request of its
/// connection (pipelined HTTP/1.1 answers in order).
#[derive(Debug)]
pub(crate) struct Outstanding {
    by_request: IdMap<u64, Entry>,
    by_conn: IdMap<u32, ConnQueue>,
    limit: usize,
}

/// One connection's requests, oldest first. A connection almost always has one request outstanding,
/// which is kept inline: only pipelined requests take a heap queue.
#[derive(Debug)]
struct ConnQueue {
    oldest: u64,
    later: VecDeque<u64>,
}

impl ConnQueue {
    fn new(request: u64) -> Self {
        ConnQueue {
            oldest: request,
            later: VecDeque::new(),
        }
    }

    /// Takes the oldest request out; `true` when none is left.
    fn pop(&mut self) -> (u64, bool) {
        let oldest = self.oldest;
        match self.later.pop_front() {
            Some(next) => {
                self.oldest = next;
                (oldest, false)
            }
            None => (oldest, true),
        }
    }

    /// Takes `request` out wherever it is; `true` when none is left.
    fn remove(&mut self, request: u64) -> bool {
        if self.oldest == request {
            return self.pop().1;
        }
        self.later.retain(|r| *r != request);
        false
    }
}

impl Outstanding {
    /// An empty table holding at most `limit` requests.
    pub(crate) fn new(limit: usize) -> Self {
        Outstanding {
            by_request: id_map(),
            by_conn: id_map(),
            limit,
        }
    }

    /// Requests tracked.
    pub(crate) fn len(&self) -> usize {
        self.by_request.len()
    }

    /// Tracks a request whose Mongrel2 `payload` names its conn id (a payload the broker cannot read is
    /// tracked without one: the broker FAILs it as `bad-submit`); `retry` for an idempotent one.
    pub(crate) fn insert(
        &mut self,
        request: u64,
        payload: &[u8],
        expires_at: Instant,
        retry: Option<Retry>,
    ) -> Result<(), Full> {
        self.remove(request);
        if self.by_request.len() >= self.limit {
            return Err(Full);
        }
        let conn_id = envelope::request_head(payload).ok().map(|h| h.conn_id);
        if let Some(conn) = conn_id {
            match self.by_conn.entry(conn) {
                MapEntry::Occupied(mut queue) => queue.get_mut().later.push_back(request),
                MapEntry::Vacant(slot) => {
                    slot.insert(ConnQueue::new(request));
                }
            }
        }
        self.by_request.insert(
            request,
            Entry {
                conn_id,
                expires_at,
                retry,
            },
        );
        Ok(())
    }

    /// Forgets a request (FAIL from the broker, CANCEL from the gateway); whether it was tracked.
    pub(crate) fn remove(&mut self, request: u64) -> bool {
        let Some(entry) = self.by_request.remove(&request) else {
            return false;
        };
        if let Some(conn) = entry.conn_id {
            if let Some(queue) = self.by_conn.get_mut(&conn) {
                if queue.remove(request) {
                    self.by_conn.remove(&conn);
                }
            }
        }
        true
    }

    /// A reply went to the gateway: the oldest request of each conn id it names has started.
    pub(crate) fn replied(&mut self, reply: &[u8]) {
        let Ok(head) = envelope::reply_head(reply) else {
            return;
        };
        let Some(conns) = head.conn_ids() else {
            return;
        };
        for conn in conns {
            let Some(queue) = self.by_conn.get_mut(&conn) else {
                continue;
            };
            let (request, emptied) = queue.pop();
            self.by_request.remove(&request);
            if emptied {
                self.by_conn.remove(&conn);
            }
        }
    }

    /// Drops entries whose expiry has passed (see the module docs).
    pub(crate) fn expire(&mut self, now: Instant) {
        let expired: Vec<u64> = self
            .by_request
            .iter()
            .filter(|(_, e)| e.expires_at <= now)
            .map(|(id, _)| *id)
            .collect();
        for request in expired {
            self.remove(request);
        }
    }

    /// Empties the table, returning the ids in ascending order, each with its [`Retry`] if it has one
    /// (the broker is gone: fail them, or submit them again).
    pub(crate) fn take_all(&mut self) -> Vec<(u64, Option<Retry>)> {
        self.by_conn.clear();
        let mut taken: Vec<(u64, Option<Retry>)> = self
            .by_request
            .drain()
            .map(|(id, entry)| (id, entry.retry))
            .collect();
        taken.sort_unstable_by_key(|(id, _)| *id);
        taken
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn payload(conn: u32) -> Vec<u8> {
        format!("gw-1 {conn} /p 2:{{}},0:,").into_bytes()
    }

    fn ids(taken: Vec<(u64, Option<Retry>)>) -> Vec<u64> {
        taken.into_iter().map(|(id, _)| id).collect()
    }

    #[test]
    fn only_requests_given_a_retry_come_back_with_it() {
        let later = Instant::now() + Duration::from_secs(60);
        let retry = Retry {
            service: ServiceName::new(b"echo").unwrap(),
            payload: Bytes::from(payload(2)),
            deadline_at: later,
        };
        let mut table = Outstanding::new(10);
        table
            .insert(2, &payload(2), later, Some(retry.clone()))
            .unwrap();
        table.insert(1, &payload(1), later, None).unwrap();
        assert_eq!(table.take_all(), [(1, None), (2, Some(retry))]);
    }

    fn reply(conns: &str) -> Vec<u8> {
        format!("gw-1 {}:{conns}, HTTP/1.1 200 OK\r\n\r\n", conns.len()).into_bytes()
    }

    #[test]
    fn a_reply_starts_the_oldest_request_of_each_named_connection() {
        let later = Instant::now() + Duration::from_secs(60);
        let mut table = Outstanding::new(10);
        table.insert(1, &payload(7), later, None).unwrap();
        table.insert(2, &payload(7), later, None).unwrap();
        table.insert(3, &payload(8), later, None).unwrap();
        table.insert(4, &payload(9), later, None).unwrap();
        table.replied(&reply("7 8"));
        assert_eq!(ids(table.take_all()), [2, 4]);
    }

    #[test]
    fn pipelined_requests_start_in_order_around_cancels() {
        let later = Instant::now() + Duration::from_secs(60);
        let mut table = Outstanding::new(10);
        for request in 1..=4 {
            table.insert(request, &payload(7), later, None).unwrap();
        }
        assert!(table.remove(2), "a cancel from the middle of the queue");
        assert!(table.remove(1), "a cancel of the oldest");
        table.replied(&reply("7"));
        assert_eq!(
            table.len(),
            1,
            "the reply started request 3, the oldest left"
        );
        table.replied(&reply("7"));
        table.replied(&reply("7"));
        assert_eq!(table.len(), 0);
        table.insert(5, &payload(7), later, None).unwrap();
        assert_eq!(
            ids(table.take_all()),
            [5],
            "the connection's queue starts afresh"
        );
    }

    #[test]
    fn fail_and_cancel_remove_and_the_limit_is_kept() {
        let later = Instant::now() + Duration::from_secs(60);
        let mut table = Outstanding::new(2);
        table.insert(1, &payload(1), later, None).unwrap();
        table
            .insert(2, &b"not a mongrel2 message"[..], later, None)
            .unwrap();
        assert_eq!(table.insert(3, &payload(3), later, None), Err(Full));
        assert!(table.remove(1));
        assert!(!table.remove(1));
        table.insert(3, &payload(3), later, None).unwrap();
        table.replied(&reply("1"));
        assert_eq!(table.len(), 2, "a reply for a finished conn starts nothing");
        assert_eq!(ids(table.take_all()), [2, 3]);
    }

    #[test]
    fn entries_past_their_expiry_are_dropped() {
        let now = Instant::now();
        let mut table = Outstanding::new(10);
        table.insert(1, &payload(1), now, None).unwrap();
        table
            .insert(2, &payload(1), now + Duration::from_secs(1), None)
            .unwrap();
        table.expire(now);
        table.replied(&reply("1"));
        assert_eq!(table.len(), 0, "the reply started request 2");
    }

    #[test]
    fn garbage_replies_change_nothing() {
        let later = Instant::now() + Duration::from_secs(60);
        let mut table = Outstanding::new(10);
        table.insert(1, &payload(1), later, None).unwrap();
        for junk in [&b""[..], b"gw-1", b"gw-1 99999999999:1, x", b"gw-1 1:x, y"] {
            table.replied(junk);
        }
        assert_eq!(table.len(), 1);
    }
}
