//! A raw HTTP/1.x client over TCP: writes exact bytes and reads exact bytes, so
//! tests can compare what two servers answered byte for byte.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Upper bound on what one read collects (tests never expect more).
const MAX_READ: usize = 64 * 1024 * 1024;

/// One client connection.
pub struct Conn {
    stream: TcpStream,
}

impl Conn {
    /// Connects to 127.0.0.1:`port`.
    pub fn connect(port: u16) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        Ok(Conn { stream })
    }

    /// Writes `bytes` as they are.
    pub fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.stream.write_all(bytes)?;
        Ok(())
    }

    /// Reads until `done(&bytes_so_far)` is true, EOF, or `deadline` passes
    /// (an error naming the bytes read so far).
    pub fn read_until(
        &mut self,
        deadline: Duration,
        done: impl Fn(&[u8]) -> bool,
    ) -> anyhow::Result<Vec<u8>> {
        let start = Instant::now();
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        while !done(&out) {
            let left = deadline
                .checked_sub(start.elapsed())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no complete answer within {deadline:?}; got {:?}",
                        String::from_utf8_lossy(&out)
                    )
                })?;
            self.stream.set_read_timeout(Some(left))?;
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    continue
                }
                Err(e) => return Err(e.into()),
            }
            anyhow::ensure!(out.len() <= MAX_READ, "answer larger than {MAX_READ} bytes");
        }
        Ok(out)
    }

    /// Reads one complete HTTP response (framed by Content-Length, chunked
    /// encoding, or EOF).
    pub fn read_response(&mut self, deadline: Duration) -> anyhow::Result<Vec<u8>> {
        self.read_until(deadline, |b| response_len(b).is_some())
    }

    /// Reads until the server closes the connection.
    pub fn read_to_eof(&mut self, deadline: Duration) -> anyhow::Result<Vec<u8>> {
        self.read_until(deadline, |_| false)
    }

    /// True when the server has closed the connection (EOF within `deadline`).
    pub fn closed_within(&mut self, deadline: Duration) -> anyhow::Result<bool> {
        self.stream.set_read_timeout(Some(deadline))?;
        let mut buf = [0u8; 1];
        match self.stream.read(&mut buf) {
            Ok(0) => Ok(true),
            Ok(_) => Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(true),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Length of the first complete HTTP response in `bytes`, if it is complete.
/// Handles Content-Length, chunked bodies and bodiless statuses; a response
/// without framing is never complete (it ends at EOF).
pub fn response_len(bytes: &[u8]) -> Option<usize> {
    let head_end = find(bytes, b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&bytes[..head_end]).ok()?;
    let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
    if status / 100 == 1 || status == 204 || status == 304 {
        return Some(head_end);
    }
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    if let Some(len) = header("content-length") {
        let len: usize = len.parse().ok()?;
        return (bytes.len() >= head_end + len).then_some(head_end + len);
    }
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut at = head_end;
        loop {
            let line_end = find(&bytes[at..], b"\r\n")? + at;
            let size_text = std::str::from_utf8(&bytes[at..line_end]).ok()?;
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            at = line_end + 2;
            if size == 0 {
                let end = find(&bytes[at..], b"\r\n")? + at;
                if end == at {
                    return Some(at + 2);
                }
                at = end + 2;
                continue;
            }
            at = at.checked_add(size)?.checked_add(2)?;
            if bytes.len() < at {
                return None;
            }
        }
    }
    None
}

/// Position of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A response split into (status code, lower-cased header names with their
/// trimmed values, body).
pub type Split = (u16, Vec<(String, String)>, Vec<u8>);

/// Splits a complete response into (status code, lower-cased headers, body).
pub fn split_response(bytes: &[u8]) -> anyhow::Result<Split> {
    let head_end = find(bytes, b"\r\n\r\n").ok_or_else(|| anyhow::anyhow!("no end of head"))? + 4;
    let head = String::from_utf8_lossy(&bytes[..head_end]);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("bad status line {status_line:?}"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers, bytes[head_end..].to_vec()))
}
