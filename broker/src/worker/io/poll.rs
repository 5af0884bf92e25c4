//! How the I/O loop waits: one `zmq::poll` over the socket, the wake socketpair and the session's next
//! deadline, so a broker message, a user request and a timer all end the wait at once.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::time::Instant;

use super::{Loop, Socket, MAX_BACKLOG};
use crate::worker::Error;

impl Loop {
    /// Waits for the socket, the wake fd or the session's next deadline, after writing what the turn
    /// queued (the native socket writes only when told).
    pub(super) fn poll(&mut self) -> Result<(bool, bool, bool), Error> {
        self.write_pending();
        let busy = self.pending || self.socket.as_ref().is_some_and(Socket::has_input);
        let retry = self.socket.as_ref().and_then(Socket::retry_at);
        let deadline = [self.io.session.next_deadline(), retry]
            .into_iter()
            .flatten()
            .min();
        let timeout = match deadline {
            _ if busy => 0,
            None => -1,
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                let ms = left.as_millis() + u128::from(left.subsec_nanos() % 1_000_000 != 0);
                i64::try_from(ms).unwrap_or(i64::MAX)
            }
        };
        let wake = zmq::PollItem::from_fd(self.io.wake.as_raw_fd(), zmq::POLLIN);
        let mut events = zmq::PollEvents::empty();
        if self.backlog.len() < MAX_BACKLOG {
            events |= zmq::POLLIN;
        }
        if !self.backlog.is_empty() {
            events |= zmq::POLLOUT;
        }
        let mut both;
        let mut alone;
        let socket = self.socket.as_ref();
        let item = match socket.and_then(|s| s.native_fd(events)) {
            Some((fd, wanted)) => Some(zmq::PollItem::from_fd(fd, wanted)),
            None => socket.and_then(|s| s.poll_item(events)),
        };
        let items: &mut [zmq::PollItem<'_>] = match item {
            Some(item) => {
                both = [wake, item];
                &mut both
            }
            None => {
                alone = [wake];
                &mut alone
            }
        };
        match zmq::poll(items, timeout) {
            Ok(_) | Err(zmq::Error::EINTR) => {}
            Err(source) => return Err(Error::Zmq { op: "poll", source }),
        }
        let woken = items.first().is_some_and(zmq::PollItem::is_readable);
        let socket = items.get(1);
        Ok((
            socket.is_some_and(zmq::PollItem::is_readable),
            socket.is_some_and(zmq::PollItem::is_writable),
            woken,
        ))
    }

    /// Hands what is queued to the native socket's connection now (libzmq's I/O thread does it for its
    /// sockets).
    pub(super) fn write_pending(&mut self) {
        if let Some(socket) = &mut self.socket {
            socket.progress(false, false);
        }
    }

    /// Reads every wake byte, then lets user threads wake the loop again.
    pub(super) fn drain_wake(&mut self) {
        let mut buf = [0u8; 256];
        loop {
            match (&self.io.wake).read(&mut buf) {
                Ok(n) if n == buf.len() => {}
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        self.io.shared.woken();
    }
}
