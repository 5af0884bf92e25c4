//! The broker's ROUTERs and the standalone link's DEALER, on either transport: Scale0's own ZMTP on tokio
//! ([`crate::zmtp`], the default) or libzmq ([`AsyncSocket`]). Both report the same way: frames as
//! [`Frame`]s, a peer that is gone as `EHOSTUNREACH` and a full queue as `WouldBlock`, as libzmq does
//! under `ZMQ_ROUTER_MANDATORY`.

use bytes::Bytes;

use super::sockets::{self, Frame, MAX_FRAMES, MAX_FRAME_BYTES};
use crate::zmq_async::{self, AsyncSocket, Hwm};
use crate::zmtp::{self, Endpoint, Received, SendError};

/// Which implementation of ZeroMQ's protocol carries the broker's worker and gateway traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transport {
    /// Scale0's own ZMTP 3 (NULL mechanism) on tokio, for `tcp://` and `ipc://` endpoints: no libzmq
    /// I/O thread between the broker's loop and its peers. Other endpoints fall back to libzmq.
    #[default]
    Native,
    /// libzmq, as for every other socket (the choice when a feature only libzmq has is wanted).
    Libzmq,
}

impl std::str::FromStr for Transport {
    type Err = String;

    /// `native` or `libzmq`, as in configuration and on the command line.
    fn from_str(name: &str) -> Result<Transport, String> {
        match name {
            "native" => Ok(Transport::Native),
            "libzmq" => Ok(Transport::Libzmq),
            other => Err(format!("unknown transport {other:?}: use native or libzmq")),
        }
    }
}

impl Transport {
    /// The endpoint parsed for the native sockets, or `None` when libzmq carries it.
    fn native(self, endpoint: &str) -> Option<Endpoint> {
        match self {
            Transport::Native => Endpoint::parse(endpoint).ok(),
            Transport::Libzmq => None,
        }
    }
}

fn limits(hwm: Hwm) -> zmtp::Limits {
    zmtp::Limits {
        hwm: usize::try_from(hwm.get()).unwrap_or(1).max(1),
        max_frame: usize::try_from(MAX_FRAME_BYTES).unwrap_or(usize::MAX),
        max_frames: MAX_FRAMES,
    }
}

fn send_error(error: SendError) -> zmq_async::Error {
    match error {
        SendError::Full => zmq_async::Error::WouldBlock,
        SendError::Unreachable => zmq_async::Error::Zmq {
            op: "send",
            source: zmq::Error::EHOSTUNREACH,
        },
    }
}

/// What a receive found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Got {
    /// Nothing waiting.
    Nothing,
    /// A message, in the frames (a ROUTER's starts with the sender's identity).
    Message,
    /// A native ROUTER's peer closed its connection (the one frame is its identity), or a native
    /// DEALER lost its connection (no frames).
    Gone,
}

fn take(
    received: Received,
    native: &mut Vec<Bytes>,
    frames: &mut Vec<Frame>,
) -> Result<Got, zmq_async::Error> {
    match received {
        Received::Empty => Ok(Got::Nothing),
        Received::Message => {
            frames.extend(native.drain(..).map(Frame::Bytes));
            Ok(Got::Message)
        }
        Received::Disconnected => {
            frames.extend(native.drain(..).map(Frame::Bytes));
            Ok(Got::Gone)
        }
        Received::TooManyFrames => Err(zmq_async::Error::TooManyFrames { limit: MAX_FRAMES }),
    }
}

fn got(message: bool) -> Got {
    if message {
        Got::Message
    } else {
        Got::Nothing
    }
}

/// A worker or gateway ROUTER.
pub(crate) enum RouterSocket {
    Native(zmtp::Router, Vec<Bytes>),
    Libzmq(AsyncSocket),
}

impl RouterSocket {
    /// Binds `endpoint` (see [`sockets::router`] for the libzmq options, which the native socket
    /// follows).
    pub(crate) fn bind(
        ctx: &zmq::Context,
        endpoint: &str,
        hwm: Hwm,
        transport: Transport,
    ) -> Result<RouterSocket, zmq_async::Error> {
        match transport.native(endpoint) {
            Some(parsed) => zmtp::Router::bind(&parsed, limits(hwm))
                .map(|router| RouterSocket::Native(router, Vec::new()))
                .map_err(|source| zmq_async::Error::Native {
                    op: "bind",
                    endpoint: endpoint.to_owned(),
                    source,
                }),
            None => sockets::router(ctx, endpoint, hwm).map(RouterSocket::Libzmq),
        }
    }

    /// The endpoint bound, with the port chosen for `*`.
    pub(crate) fn endpoint(&self) -> Result<String, zmq_async::Error> {
        match self {
            RouterSocket::Native(router, _) => Ok(router.endpoint().to_owned()),
            RouterSocket::Libzmq(socket) => socket.last_endpoint(),
        }
    }

    /// One whole message (identity first) into `frames` without waiting, or a peer that left.
    pub(crate) fn try_recv_multipart(
        &mut self,
        frames: &mut Vec<Frame>,
    ) -> Result<Got, zmq_async::Error> {
        match self {
            RouterSocket::Native(router, native) => {
                frames.clear();
                let received = router.try_recv(native);
                take(received, native, frames)
            }
            RouterSocket::Libzmq(socket) => sockets::try_recv_multipart(socket, frames).map(got),
        }
    }

    /// Sends `frames[1..]` to the peer `frames[0]` without waiting.
    pub(crate) fn try_send_multipart(&self, frames: &[Bytes]) -> Result<(), zmq_async::Error> {
        match self {
            RouterSocket::Native(router, _) => router.try_send(frames).map_err(send_error),
            RouterSocket::Libzmq(socket) => socket.try_send_multipart(frames),
        }
    }

    /// Whether a message is waiting.
    pub(crate) fn has_input(&self) -> Result<bool, zmq_async::Error> {
        match self {
            RouterSocket::Native(router, _) => Ok(router.has_input()),
            RouterSocket::Libzmq(socket) => Ok(socket.events_now()?.contains(zmq::POLLIN)),
        }
    }

    /// Waits until a message is waiting; call after [`RouterSocket::has_input`] found none.
    pub(crate) async fn readable(&mut self) -> Result<(), zmq_async::Error> {
        match self {
            RouterSocket::Native(router, _) => {
                router.readable().await;
                Ok(())
            }
            RouterSocket::Libzmq(socket) => socket.ready_after_drain(zmq::POLLIN).await.map(|_| ()),
        }
    }
}

/// The standalone link's DEALER.
pub(crate) enum DealerSocket {
    Native(zmtp::Dealer, Vec<Bytes>),
    Libzmq(AsyncSocket),
}

impl DealerSocket {
    /// Connects to `endpoint` with routing identity `sender_id` (see [`sockets::gateway_dealer`]).
    pub(crate) fn connect(
        ctx: &zmq::Context,
        endpoint: &str,
        sender_id: &[u8],
        hwm: Hwm,
        transport: Transport,
    ) -> Result<DealerSocket, zmq_async::Error> {
        match transport.native(endpoint) {
            Some(parsed) => {
                zmtp::Dealer::connect(parsed, Bytes::copy_from_slice(sender_id), limits(hwm))
                    .map(|dealer| DealerSocket::Native(dealer, Vec::new()))
                    .map_err(|source| zmq_async::Error::Native {
                        op: "connect",
                        endpoint: endpoint.to_owned(),
                        source,
                    })
            }
            None => {
                sockets::gateway_dealer(ctx, endpoint, sender_id, hwm).map(DealerSocket::Libzmq)
            }
        }
    }

    /// One whole message into `frames` without waiting; [`Got::Gone`] (no frames) when a native
    /// socket lost its connection (libzmq says nothing of it).
    pub(crate) fn try_recv_multipart(
        &mut self,
        frames: &mut Vec<Frame>,
    ) -> Result<Got, zmq_async::Error> {
        match self {
            DealerSocket::Native(dealer, native) => {
                frames.clear();
                let received = dealer.try_recv(native);
                take(received, native, frames)
            }
            DealerSocket::Libzmq(socket) => sockets::try_recv_multipart(socket, frames).map(got),
        }
    }

    /// Closes the socket at once, dropping what it still queued (for a broker that is gone).
    pub(crate) fn abandon(self) {
        match self {
            DealerSocket::Native(dealer, _) => dealer.abandon(),
            DealerSocket::Libzmq(socket) => socket.abandon(),
        }
    }

    /// Sends one message without waiting.
    pub(crate) fn try_send_multipart(&self, frames: &[Bytes]) -> Result<(), zmq_async::Error> {
        match self {
            DealerSocket::Native(dealer, _) => dealer.try_send(frames).map_err(send_error),
            DealerSocket::Libzmq(socket) => socket.try_send_multipart(frames),
        }
    }

    /// Waits until a message is waiting (at once if one is).
    pub(crate) async fn readable(&mut self) -> Result<(), zmq_async::Error> {
        match self {
            DealerSocket::Native(dealer, _) => {
                dealer.readable().await;
                Ok(())
            }
            DealerSocket::Libzmq(socket) => socket.ready(zmq::POLLIN).await.map(|_| ()),
        }
    }
}
