//! The table of connection ids a target knows, and the routing of Mongrel2
//! reply messages to them — shared by handler targets (replies from the SUB
//! socket) and service targets (replies relayed by the broker).

use std::collections::HashMap;

use bytes::Bytes;
use mongrel2_compat::reply::{self, Extended, Kind};
use tokio::sync::mpsc;

use super::{Registration, ToConn};

/// What became of a message for one conn id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Queued for the connection.
    Yes,
    /// The id is not (or no longer) connected: the connection ended, perhaps
    /// moments ago with its unregistration still on the way. It is forgotten
    /// here, so it gets one disconnect notice (as an unknown id), not two.
    Unknown,
    /// The connection's queue or output cap was full: it is dropped, counted.
    TooSlow,
}

/// Connection ids registered with one target.
#[derive(Debug, Default)]
pub struct ConnTable {
    conns: HashMap<u64, Registration>,
    slow_drops: u64,
}

impl ConnTable {
    /// Replies for `conn_id` go to `registration` from now on.
    pub fn register(&mut self, conn_id: u64, registration: Registration) {
        self.conns.insert(conn_id, registration);
    }

    /// Forgets `conn_id`; true if it was registered.
    pub fn remove(&mut self, conn_id: u64) -> bool {
        self.conns.remove(&conn_id).is_some()
    }

    /// True if `conn_id` is registered.
    pub fn contains(&self, conn_id: u64) -> bool {
        self.conns.contains_key(&conn_id)
    }

    /// Connections dropped so far because their queue (or output cap) was
    /// full: a slow client never makes the sender wait.
    pub fn slow_drops(&self) -> u64 {
        self.slow_drops
    }

    /// Sends `message` to `conn_id` if registered; a full queue drops the
    /// connection (the client is too slow), counted.
    pub fn deliver(&mut self, conn_id: u64, message: ToConn) -> Delivered {
        let Some(registration) = self.conns.get(&conn_id) else {
            return Delivered::Unknown;
        };
        let ends = matches!(
            message,
            ToConn::Close | ToConn::Cancel | ToConn::Fail { .. }
        );
        let admitted = match &message {
            ToConn::Data(bytes) => registration
                .output
                .admit(u64::try_from(bytes.len()).unwrap_or(u64::MAX)),
            _ => true,
        };
        let outcome = if !admitted {
            Delivered::TooSlow
        } else {
            match registration.replies.try_send(message) {
                Ok(()) => Delivered::Yes,
                Err(mpsc::error::TrySendError::Full(_)) => Delivered::TooSlow,
                // The connection ended and its unregistration is on the way.
                Err(mpsc::error::TrySendError::Closed(_)) => Delivered::Unknown,
            }
        };
        if outcome == Delivered::TooSlow {
            self.slow_drops = self.slow_drops.saturating_add(1);
            tracing::info!(
                conn_id,
                admitted,
                "client too slow: reply queue full; dropping the connection"
            );
        }
        if ends || outcome != Delivered::Yes {
            registration.close.cancel();
            self.conns.remove(&conn_id);
        }
        outcome
    }

    /// Routes one Mongrel2 reply message to its conn ids. Returns the ids that
    /// are not registered (or whose connection has just ended) and deserve a
    /// disconnect notice (Mongrel2 sends one for every unknown id, except for
    /// `X ctl` messages).
    pub fn route(&mut self, frame: &[u8]) -> Result<Vec<u64>, reply::Error> {
        let parsed = reply::parse(frame)?;
        let body = match &parsed.kind {
            Kind::Data(body) => Bytes::copy_from_slice(body),
            _ => Bytes::new(),
        };
        // Mongrel2 sends no notice for `X ctl` messages to unknown ids.
        let is_ctl = matches!(parsed.kind, Kind::Extended(Extended::Ctl(_)));
        let mut unknown = Vec::new();
        for &conn_id in &parsed.ids {
            let message = match &parsed.kind {
                Kind::Data(_) => ToConn::Data(body.clone()),
                Kind::Close => ToConn::Close,
                Kind::Extended(Extended::Ctl(ctl)) if ctl.cancel => ToConn::Cancel,
                Kind::Extended(Extended::Ctl(ctl)) if ctl.credits.is_some_and(|c| c > 0) => {
                    ToConn::Credits(ctl.credits.and_then(|c| u64::try_from(c).ok()).unwrap_or(0))
                }
                Kind::Extended(Extended::Ctl(_)) => ToConn::KeepAlive,
                // Mongrel2 drops the connection for an unknown extension key.
                Kind::Extended(_) => ToConn::Cancel,
            };
            if self.deliver(conn_id, message) == Delivered::Unknown && !is_ctl {
                unknown.push(conn_id);
            }
        }
        Ok(unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_util::sync::CancellationToken;

    fn registration(capacity: usize) -> (Registration, mpsc::Receiver<ToConn>) {
        let (tx, rx) = mpsc::channel(capacity);
        (
            Registration {
                replies: tx,
                close: CancellationToken::new(),
                output: crate::flow::Output::new(),
            },
            rx,
        )
    }

    #[test]
    fn data_reaches_every_listed_id_and_unknown_ids_are_reported() {
        let mut table = ConnTable::default();
        let (r1, mut rx1) = registration(4);
        let (r2, mut rx2) = registration(4);
        table.register(1, r1);
        table.register(2, r2);
        let unknown = table.route(b"uuid 5:1 2 9, hello").unwrap();
        assert_eq!(unknown, vec![9]);
        for rx in [&mut rx1, &mut rx2] {
            assert!(matches!(rx.try_recv(), Ok(ToConn::Data(b)) if &b[..] == b"hello"));
        }
    }

    #[test]
    fn close_forgets_the_id_and_signals_the_connection() {
        let mut table = ConnTable::default();
        let (r, mut rx) = registration(4);
        let close = r.close.clone();
        table.register(7, r);
        assert!(table.route(b"uuid 1:7, ").unwrap().is_empty());
        assert!(matches!(rx.try_recv(), Ok(ToConn::Close)));
        assert!(close.is_cancelled());
        assert!(!table.contains(7));
        assert_eq!(
            table.route(b"uuid 1:7, late").unwrap(),
            vec![7],
            "now unknown"
        );
    }

    #[test]
    fn a_reply_racing_the_clients_close_gets_one_notice_and_is_no_slow_drop() {
        let mut table = ConnTable::default();
        let (r, rx) = registration(4);
        let close = r.close.clone();
        table.register(4, r);
        drop(rx); // the connection ended; its unregistration has not arrived yet
        assert_eq!(table.route(b"uuid 1:4, late").unwrap(), vec![4]);
        assert_eq!(
            table.slow_drops(),
            0,
            "a closed connection is not a slow one"
        );
        assert!(close.is_cancelled());
        assert!(
            !table.remove(4),
            "forgotten: the unregistration that follows sends no second notice"
        );
        assert!(
            table
                .route(b"uuid 3:X 4, 31:3:ctl,21:10:keep-alive,4:true!}]")
                .unwrap()
                .is_empty(),
            "still none for ctl"
        );
    }

    #[test]
    fn ctl_to_unknown_ids_gets_no_notice() {
        let mut table = ConnTable::default();
        let unknown = table
            .route(b"uuid 4:X 20, 31:3:ctl,21:10:keep-alive,4:true!}]")
            .unwrap();
        assert!(unknown.is_empty());
    }

    #[test]
    fn a_full_queue_drops_the_slow_connection() {
        let mut table = ConnTable::default();
        let (r, _rx) = registration(1);
        let close = r.close.clone();
        table.register(3, r);
        table.route(b"uuid 1:3, a").unwrap();
        table.route(b"uuid 1:3, b").unwrap();
        assert!(close.is_cancelled());
        assert!(!table.contains(3));
        assert_eq!(table.slow_drops(), 1);
    }

    #[test]
    fn ctl_credits_reach_the_connection() {
        let mut table = ConnTable::default();
        let (r, mut rx) = registration(4);
        table.register(2, r);
        table
            .route(b"uuid 3:X 2, 27:3:ctl,17:7:credits,4:1500#}]")
            .unwrap();
        assert!(matches!(rx.try_recv(), Ok(ToConn::Credits(1500))));
    }

    #[test]
    fn output_past_the_cap_drops_the_connection() {
        let mut table = ConnTable::default();
        let (r, _rx) = registration(64);
        let (close, output) = (r.close.clone(), r.output.clone());
        output.activate(4);
        table.register(5, r);
        table.route(b"uuid 1:5, abc").unwrap();
        assert!(!close.is_cancelled());
        table.route(b"uuid 1:5, de").unwrap();
        assert!(close.is_cancelled(), "3 + 2 bytes pass a 4-byte cap");
        assert!(!table.contains(5));
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        let mut table = ConnTable::default();
        assert!(table.route(b"no-length-here").is_err());
        assert!(table.route(b"uuid 3:1,2, x").is_err());
    }
}
