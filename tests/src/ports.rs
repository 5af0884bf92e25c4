//! Free loopback ports for peers that cannot bind port 0 themselves (Mongrel2
//! reads its port from a config file).

use std::net::TcpListener;

/// Asks the kernel for a free TCP port on 127.0.0.1.
///
/// The port is released before it is returned, so another process could take it
/// in between; tests use it at once and fail loudly if the bind then fails.
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// `n` distinct free ports (held together while they are picked, so they differ).
pub fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}
