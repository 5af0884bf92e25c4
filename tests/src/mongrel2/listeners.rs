//! Which process listens on a TCP port, from Linux's `/proc`.
//!
//! Mongrel2 reads its ports from a config file, so the harness picks free ports
//! and releases them before Mongrel2 binds; a parallel test (or any outgoing
//! connection) can take one in between. "Something accepts on the port" then
//! proves nothing: it may be another test's server. This module answers the
//! precise question: is the listening socket on this port one of the child's?

use std::collections::HashSet;

/// TCP state `LISTEN` in `/proc/net/tcp`.
const LISTEN: &str = "0A";

/// True when process `pid` holds the socket listening on 127.0.0.1:`port`.
pub fn owned_by(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let listening = listening_inodes(&table, port);
    !listening.is_empty() && socket_inodes(pid).is_some_and(|own| !own.is_disjoint(&listening))
}

/// Inodes of the sockets in `table` (the text of `/proc/net/tcp`) listening on
/// 127.0.0.1:`port` or on every address.
fn listening_inodes(table: &str, port: u16) -> HashSet<u64> {
    let wanted = [
        format!("0100007F:{port:04X}"),
        format!("00000000:{port:04X}"),
    ];
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, state, inode) = (fields.get(1)?, fields.get(3)?, fields.get(9)?);
            (wanted.iter().any(|w| w == local) && *state == LISTEN)
                .then(|| inode.parse().ok())
                .flatten()
        })
        .collect()
}

/// Inodes of the sockets process `pid` has open; `None` if its fds are unreadable.
fn socket_inodes(pid: u32) -> Option<HashSet<u64>> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(
        fds.filter_map(|fd| {
            let target = std::fs::read_link(fd.ok()?.path()).ok()?;
            let target = target.to_str()?;
            target
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_listeners_by_port_and_state() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
            0: 0100007F:A85F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0\n\
            1: 0100007F:A85F 0100007F:D200 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0 100 0 0 10 0\n\
            2: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0 100 0 0 10 0\n";
        assert_eq!(listening_inodes(table, 0xA85F), HashSet::from([111]));
        assert_eq!(listening_inodes(table, 80), HashSet::from([333]));
        assert!(listening_inodes(table, 81).is_empty());
    }

    #[test]
    fn a_listener_of_this_process_is_owned_by_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(owned_by(std::process::id(), port));
        drop(listener);
        assert!(!owned_by(std::process::id(), port));
    }
}
