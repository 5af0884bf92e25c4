//! The live connection registry: one [`ConnStats`] per open client TCP
//! connection, as Mongrel2's `Register` keeps one registration per fd. The
//! control port reads it (`status net`) and acts on it (`kill`); the
//! connection's IO updates it through [`Counted`] with atomics only, so a read
//! or write never takes a lock.
//!
//! It is bounded by the listeners' `max_connections`: an entry is added when a
//! connection is accepted and removed when its IO is dropped (the [`Entry`]
//! guard lives inside [`Counted`]), so an upgraded connection (WebSocket)
//! stays listed for as long as its socket is open.

mod counted;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};

use atomic_waker::AtomicWaker;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::conn::Conn;

pub use counted::Counted;

/// What a connection speaks, as Mongrel2's `status net` `type` column numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Plain HTTP (Mongrel2's `CONN_TYPE_HTTP`), every connection's start.
    Http = 1,
    /// Mongrel2's JSON/XML socket protocol (`CONN_TYPE_MSG`).
    Socket = 2,
    /// A WebSocket after its handshake (`CONN_TYPE_SOCKET`).
    WebSocket = 3,
}

impl Kind {
    fn from_u8(n: u8) -> Kind {
        match n {
            2 => Kind::Socket,
            3 => Kind::WebSocket,
            _ => Kind::Http,
        }
    }
}

/// One row of `status net`: times are whole seconds ago, 0 when never (as
/// Mongrel2's `ZERO_OR_DELTA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The Mongrel2 conn id.
    pub id: u64,
    /// The socket's file descriptor.
    pub fd: i64,
    /// [`Kind`] as its number.
    pub kind: u8,
    /// Seconds since the connection was accepted or last received bytes.
    pub last_ping: u64,
    /// Seconds since the last read from the client.
    pub last_read: u64,
    /// Seconds since the last write to the client.
    pub last_write: u64,
    /// Bytes read from the client.
    pub bytes_read: u64,
    /// Bytes written to the client.
    pub bytes_written: u64,
}

/// Counters of one connection, shared by its IO and the registry.
#[derive(Debug)]
pub struct ConnStats {
    id: u64,
    fd: i64,
    origin: Instant,
    kind: AtomicU8,
    /// Milliseconds since `origin` plus one; 0 = never.
    last_ping: AtomicU64,
    last_read: AtomicU64,
    last_write: AtomicU64,
    bytes_read: AtomicU64,
    bytes_written: AtomicU64,
    killed: CancellationToken,
    /// The connection's handler-facing state, finished without a notice on kill.
    conn: Weak<Conn>,
    /// Tasks parked in a read or a write of [`Counted`], woken by a kill.
    read_waker: AtomicWaker,
    write_waker: AtomicWaker,
}

impl ConnStats {
    /// The conn id this connection is listed under.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Records what the connection now speaks; called by the code that
    /// upgrades it (WebSocket handshake, JSON socket detection).
    pub fn set_kind(&self, kind: Kind) {
        self.kind.store(kind as u8, Ordering::Relaxed);
    }

    /// What the connection speaks.
    pub fn kind(&self) -> Kind {
        Kind::from_u8(self.kind.load(Ordering::Relaxed))
    }

    /// Cancelled by the control port's `kill`: whoever owns the connection's
    /// IO may drop it at once. [`Counted`] also fails every read and write
    /// after it (waking a parked one), so any owner sees the connection end.
    pub fn killed(&self) -> &CancellationToken {
        &self.killed
    }

    /// Kills the connection as Mongrel2 does: every target forgets the id
    /// without a disconnect notice, then the IO is failed.
    fn kill(&self) {
        if let Some(conn) = self.conn.upgrade() {
            conn.finish(false);
        }
        self.killed.cancel();
        self.read_waker.wake();
        self.write_waker.wake();
    }

    fn stamp(&self, at: Instant) -> u64 {
        let ms = at.saturating_duration_since(self.origin).as_millis();
        u64::try_from(ms).unwrap_or(u64::MAX).saturating_add(1)
    }

    /// Records that the client is alive (Mongrel2's `Register_ping`).
    pub fn ping(&self, now: Instant) {
        self.last_ping.store(self.stamp(now), Ordering::Relaxed);
    }

    /// Counts `n` bytes read from the client at `now`.
    pub fn record_read(&self, n: usize, now: Instant) {
        let stamp = self.stamp(now);
        self.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
        self.last_read.store(stamp, Ordering::Relaxed);
        self.last_ping.store(stamp, Ordering::Relaxed);
    }

    /// Counts `n` bytes written to the client at `now`.
    pub fn record_write(&self, n: usize, now: Instant) {
        self.bytes_written.fetch_add(n as u64, Ordering::Relaxed);
        self.last_write.store(self.stamp(now), Ordering::Relaxed);
    }

    /// The connection's `status net` row as seen at `now`.
    pub fn row(&self, now: Instant) -> Row {
        let now_ms = self.stamp(now).saturating_sub(1);
        let ago = |stamp: &AtomicU64| match stamp.load(Ordering::Relaxed) {
            0 => 0,
            s => now_ms.saturating_sub(s - 1) / 1000,
        };
        Row {
            id: self.id,
            fd: self.fd,
            kind: self.kind.load(Ordering::Relaxed),
            last_ping: ago(&self.last_ping),
            last_read: ago(&self.last_read),
            last_write: ago(&self.last_write),
            bytes_read: self.bytes_read.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
        }
    }
}

/// What `kill` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Killed {
    /// The connection was open and is being dropped.
    Done,
    /// No connection has this id.
    Unknown,
    /// The connection was already killed and is closing.
    AlreadyClosing,
}

/// All open client connections, by conn id.
#[derive(Debug, Default)]
pub struct Registry {
    conns: Mutex<HashMap<u64, Arc<ConnStats>>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Arc<Registry> {
        Arc::new(Registry::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnStats>>> {
        // Held only for a map operation, never across an await or a panic point.
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lists `conn`, accepted at `now` on socket `fd`, under its conn id; it
    /// stays listed until the returned [`Entry`] is dropped.
    pub fn register(self: &Arc<Self>, conn: &Arc<Conn>, fd: i64, now: Instant) -> Entry {
        let id = conn.id;
        let stats = Arc::new(ConnStats {
            id,
            fd,
            origin: now,
            kind: AtomicU8::new(Kind::Http as u8),
            last_ping: AtomicU64::new(0),
            last_read: AtomicU64::new(0),
            last_write: AtomicU64::new(0),
            bytes_read: AtomicU64::new(0),
            bytes_written: AtomicU64::new(0),
            killed: CancellationToken::new(),
            conn: Arc::downgrade(conn),
            read_waker: AtomicWaker::new(),
            write_waker: AtomicWaker::new(),
        });
        stats.ping(now);
        self.lock().insert(id, stats.clone());
        Entry {
            stats,
            registry: self.clone(),
        }
    }

    /// The counters of connection `id`, if it is open.
    pub fn get(&self, id: u64) -> Option<Arc<ConnStats>> {
        self.lock().get(&id).cloned()
    }

    /// Sets the [`Kind`] of connection `id`; false if it is not open.
    pub fn set_kind(&self, id: u64, kind: Kind) -> bool {
        self.get(id).map(|s| s.set_kind(kind)).is_some()
    }

    /// Drops connection `id` at once (see [`ConnStats::killed`]).
    pub fn kill(&self, id: u64) -> Killed {
        match self.get(id) {
            None => Killed::Unknown,
            Some(s) if s.killed.is_cancelled() => Killed::AlreadyClosing,
            Some(s) => {
                s.kill();
                Killed::Done
            }
        }
    }

    /// Every open connection's row at `now`, by fd (Mongrel2 scans its
    /// registrations in fd order).
    pub fn rows(&self, now: Instant) -> Vec<Row> {
        let mut rows: Vec<Row> = self.lock().values().map(|s| s.row(now)).collect();
        rows.sort_unstable_by_key(|r| (r.fd, r.id));
        rows
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Keeps one connection listed; dropping it removes the entry (only this
/// one, should its id have been reused meanwhile).
#[derive(Debug)]
pub struct Entry {
    stats: Arc<ConnStats>,
    registry: Arc<Registry>,
}

impl Entry {
    /// The connection's counters.
    pub fn stats(&self) -> &Arc<ConnStats> {
        &self.stats
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let mut conns = self.registry.lock();
        if conns
            .get(&self.stats.id)
            .is_some_and(|s| Arc::ptr_eq(s, &self.stats))
        {
            conns.remove(&self.stats.id);
        }
    }
}

#[cfg(test)]
mod tests;
