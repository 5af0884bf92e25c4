//! The upstream's side of HTTP/1.1 framing: request heads, and bodies by
//! Content-Length or chunked encoding, counted as they arrive.

use std::io::{BufRead, Read};
use std::sync::atomic::Ordering;

use super::{Seen, State, ECHO_MAX, MAX_HEAD};

/// Reads a request head (`body_len` still 0); `None` at a clean EOF.
pub(super) fn read_head(reader: &mut impl BufRead, conn: usize) -> anyhow::Result<Option<Seen>> {
    let mut lines = Vec::new();
    let mut total = 0;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        if n == 0 {
            anyhow::ensure!(lines.is_empty(), "EOF inside a request head");
            return Ok(None);
        }
        total += n;
        anyhow::ensure!(total <= MAX_HEAD, "request head over {MAX_HEAD} bytes");
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            break;
        }
        lines.push(line);
    }
    let request_line = lines.first().cloned().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let headers = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Some(Seen {
        conn,
        method,
        target,
        headers,
        body_len: 0,
    }))
}

pub(super) struct Body {
    pub len: u64,
    pub kept: Vec<u8>,
}

/// Reads the body by its framing, counting bytes into `state` as they come.
pub(super) fn read_body(
    reader: &mut impl BufRead,
    seen: &Seen,
    state: &State,
) -> anyhow::Result<Body> {
    let mut body = Body {
        len: 0,
        kept: Vec::new(),
    };
    let take = |reader: &mut dyn Read, n: u64, body: &mut Body| -> anyhow::Result<()> {
        let mut left = n;
        let mut buf = vec![0u8; 64 * 1024];
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64))?;
            let got = reader.read(&mut buf[..want])?;
            anyhow::ensure!(got > 0, "EOF inside a request body");
            state.body_bytes.fetch_add(got as u64, Ordering::SeqCst);
            if body.len + (got as u64) <= ECHO_MAX {
                body.kept.extend_from_slice(&buf[..got]);
            }
            body.len += got as u64;
            left -= got as u64;
        }
        Ok(())
    };
    if seen
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = u64::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)?;
            if size == 0 {
                let mut trailer = String::new();
                while reader.read_line(&mut trailer)? > 2 {
                    trailer.clear();
                }
                return Ok(body);
            }
            take(reader, size, &mut body)?;
            let mut crlf = String::new();
            reader.read_line(&mut crlf)?;
        }
    }
    let declared = seen
        .header("content-length")
        .map(|v| v.parse::<u64>())
        .transpose()?
        .unwrap_or(0);
    take(reader, declared, &mut body)?;
    Ok(body)
}
