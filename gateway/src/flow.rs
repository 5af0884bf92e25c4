//! Flow control between handlers and clients (docs/mongrel2-protocol.md §4.2, §4.4, §5.4):
//!
//! - [`Output`]: the reply bytes one client connection holds in the gateway (queued for it, in the
//!   response body channel, in hyper's write buffer), capped by `max_output_bytes`. A handler
//!   that writes past the cap gets its client dropped, as Mongrel2 drops a connection whose write
//!   queue overflows (no notice).
//! - [`Written`]: one handler message in flight to the client. It rides on the body chunks made
//!   from the message ([`track`]); when hyper releases the last of them — written to the socket,
//!   or the response was dropped — it gives its bytes back to [`Output`] and, with download
//!   credits on, sends the handler the Mongrel2 credits notice for the message's length.
//! - [`UploadCredits`]: the credits a handler granted a streamed upload (`X ctl credits`).

pub mod credits;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

pub use credits::{Notifier, UploadCredits};

/// Reply bytes held for one client connection, and the cap on them.
#[derive(Debug, Default)]
pub struct Output {
    held: AtomicU64,
    /// Zero while no exchange accounts for this connection (then nothing is counted).
    cap: AtomicU64,
    overflowed: AtomicBool,
}

impl Output {
    /// A new, shared, inactive account.
    pub fn new() -> Arc<Output> {
        Arc::new(Output::default())
    }

    /// Starts accounting with `cap` bytes (an exchange begins).
    pub fn activate(&self, cap: u64) {
        self.cap.store(cap, Ordering::Release);
    }

    /// Stops accounting (the exchange ended); bytes still in hyper's hands are forgotten.
    pub fn deactivate(&self) {
        self.cap.store(0, Ordering::Release);
        self.held.store(0, Ordering::Release);
    }

    /// Counts `bytes` more reply bytes for the client; false if that passes the cap (the
    /// client is too slow and must be dropped). One message always fits an empty account, so
    /// a single large reply works whatever the cap (Mongrel2 counts messages, not bytes).
    /// Always true while inactive.
    pub fn admit(&self, bytes: u64) -> bool {
        let cap = self.cap.load(Ordering::Acquire);
        if cap == 0 {
            return true;
        }
        let held = self.held.fetch_add(bytes, Ordering::AcqRel);
        let within = held == 0 || held.checked_add(bytes).is_some_and(|total| total <= cap);
        if !within {
            self.overflowed.store(true, Ordering::Release);
        }
        within
    }

    /// Gives back `bytes` once they left the gateway.
    pub fn release(&self, bytes: u64) {
        let _always_some = self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                Some(held.saturating_sub(bytes))
            });
    }

    /// Bytes currently held.
    pub fn held(&self) -> u64 {
        self.held.load(Ordering::Acquire)
    }

    /// True once a handler wrote past the cap on this connection.
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Acquire)
    }
}

/// One handler message on its way to the client (see the module docs). Dropping it is the
/// moment its bytes count as written.
#[derive(Debug)]
pub struct Written {
    bytes: u64,
    output: Arc<Output>,
    notifier: Option<Notifier>,
}

impl Written {
    /// A message of `bytes` bytes, accounted in `output`, reported to `notifier` when written.
    pub fn new(bytes: usize, output: Arc<Output>, notifier: Option<Notifier>) -> Arc<Written> {
        Arc::new(Written {
            bytes: u64::try_from(bytes).unwrap_or(u64::MAX),
            output,
            notifier,
        })
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        self.output.release(self.bytes);
        if let Some(notifier) = &self.notifier {
            notifier.credits(self.bytes);
        }
    }
}

/// Follows the handler messages of one exchange onto the body chunks made from them, and
/// keeps the connection's [`Output`] account open while it lives.
#[derive(Debug)]
pub struct Tracker {
    output: Arc<Output>,
    notifier: Option<Notifier>,
    /// The latest message: held until a chunk carries it, then only weakly (the chunks keep
    /// it alive; all chunks of one message are made before any is written).
    current: Option<Current>,
    /// Earlier messages that produced no chunk (a response head): the next chunk carries them.
    carried: Vec<Arc<Written>>,
}

impl Tracker {
    /// Opens `output`'s account with `cap` bytes (zero: not accounted) for one exchange.
    pub fn start(output: Arc<Output>, cap: u64, notifier: Option<Notifier>) -> Tracker {
        output.activate(cap);
        Tracker {
            output,
            notifier,
            current: None,
            carried: Vec::new(),
        }
    }

    /// A handler message of `len` bytes arrived; the chunks made from it follow.
    pub fn message(&mut self, len: usize) {
        if let Some(Current::Fresh(previous)) = self.current.take() {
            self.carried.push(previous);
        }
        let written = Written::new(len, self.output.clone(), self.notifier.clone());
        self.current = Some(Current::Fresh(written));
    }

    /// `bytes` for the client, carrying the messages it came from (see [`track`]).
    pub fn chunk(&mut self, bytes: Bytes) -> Bytes {
        if bytes.is_empty() {
            return bytes;
        }
        let mut messages = std::mem::take(&mut self.carried);
        let current = match self.current.take() {
            Some(Current::Fresh(current)) => Some(current),
            Some(Current::Carried(weak)) => weak.upgrade(),
            None => None,
        };
        if let Some(current) = current {
            self.current = Some(Current::Carried(Arc::downgrade(&current)));
            messages.push(current);
        }
        track(bytes, messages)
    }
}

/// The latest message of a [`Tracker`].
#[derive(Debug)]
enum Current {
    /// No chunk carries it yet.
    Fresh(Arc<Written>),
    /// Chunks carry it.
    Carried(std::sync::Weak<Written>),
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.carried.clear();
        self.current = None;
        self.output.deactivate();
    }
}

/// A body chunk that keeps the messages it came from alive until hyper releases it.
struct Tracked {
    bytes: Bytes,
    _messages: Vec<Arc<Written>>,
}

impl AsRef<[u8]> for Tracked {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// `bytes` carrying `messages`: they count as written when hyper drops the chunk. Without
/// messages the chunk is returned as is.
pub fn track(bytes: Bytes, messages: Vec<Arc<Written>>) -> Bytes {
    if messages.is_empty() {
        return bytes;
    }
    Bytes::from_owner(Tracked {
        bytes,
        _messages: messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inactive_output_counts_nothing() {
        let output = Output::new();
        assert!(output.admit(1 << 40));
        assert_eq!(output.held(), 0);
    }

    #[test]
    fn output_past_the_cap_is_refused_and_remembered() {
        let output = Output::new();
        output.activate(100);
        assert!(output.admit(60));
        assert!(output.admit(40));
        assert!(!output.admit(1));
        let fresh = Output::new();
        fresh.activate(100);
        assert!(
            fresh.admit(1000),
            "one message always fits an empty account"
        );
        assert!(!fresh.admit(1));
        assert!(output.overflowed());
    }

    #[test]
    fn released_bytes_make_room_again() {
        let output = Output::new();
        output.activate(100);
        assert!(output.admit(100));
        output.release(50);
        assert!(output.admit(50));
        output.release(1000);
        assert_eq!(output.held(), 0, "release saturates");
    }

    #[test]
    fn heads_without_body_bytes_ride_on_the_next_chunk_in_order() {
        let output = Output::new();
        let mut tracker = Tracker::start(output.clone(), 1000, None);
        assert!(output.admit(39) && output.admit(10));
        tracker.message(39);
        assert!(tracker.chunk(Bytes::new()).is_empty());
        tracker.message(10);
        let chunk = tracker.chunk(Bytes::from_static(b"0123456789"));
        assert_eq!(output.held(), 49);
        drop(chunk);
        assert_eq!(output.held(), 0);
        drop(tracker);
        assert!(output.admit(1 << 30), "inactive once the exchange ended");
    }

    #[test]
    fn a_message_is_released_when_the_last_chunk_made_from_it_drops() {
        let output = Output::new();
        output.activate(1000);
        assert!(output.admit(10));
        let message = Written::new(10, output.clone(), None);
        let a = track(Bytes::from_static(b"01234"), vec![message.clone()]);
        let b = track(Bytes::from_static(b"56789"), vec![message]);
        assert_eq!(&a[..], b"01234");
        drop(a);
        assert_eq!(output.held(), 10, "one chunk still in flight");
        drop(b);
        assert_eq!(output.held(), 0);
    }
}
