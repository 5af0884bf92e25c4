//! A small reader for the captured client bytes: HTTP/1.x request heads with Content-Length
//! bodies (pipelined or split over several writes) and JSON-socket messages, enough to replay
//! what each capture's client sent.

use std::collections::VecDeque;

/// One request the captured client sent, parsed by the small HTTP reader below.
#[derive(Debug, Clone, Default)]
pub struct ClientRequest {
    /// `None` for a JSON-socket message.
    pub method: Option<Vec<u8>>,
    pub path: Vec<u8>,
    pub uri: Vec<u8>,
    pub query: Option<Vec<u8>>,
    pub fragment: Option<Vec<u8>>,
    pub version: Vec<u8>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Vec<u8>,
    /// Body bytes still to come in a later client write.
    pub missing: usize,
}

/// What one scenario has shown so far, to pair each handler frame with its client request.
#[derive(Default)]
pub struct Replay {
    /// Requests from the latest client write(s) not yet matched to a frame.
    pub pending: VecDeque<ClientRequest>,
    /// A request head that is still arriving in pieces.
    pub partial: Vec<u8>,
    /// The last request matched: uploads and WebSocket messages repeat its keys.
    pub last: Option<ClientRequest>,
}

/// Whether the request has a chunked body (which Mongrel2 always sends through an upload).
pub fn chunked(client: &ClientRequest) -> bool {
    client
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(b"transfer-encoding"))
}

impl Replay {
    /// Takes one client write: request heads, or else body bytes an earlier request still owes
    /// (a write that does not start like a request continues the previous body).
    pub fn client_write(&mut self, bytes: &[u8]) {
        let mut buffer = std::mem::take(&mut self.partial);
        buffer.extend_from_slice(bytes);
        if matches!(parse_one(&buffer), Parse::Garbage) {
            if let Some(request) = self.pending.back_mut().filter(|r| r.missing > 0) {
                let take = request.missing.min(buffer.len());
                request.body.extend_from_slice(&buffer[..take]);
                request.missing -= take;
                return;
            }
        }
        let mut fresh = VecDeque::new();
        let mut rest = &buffer[..];
        while !rest.is_empty() {
            match parse_one(rest) {
                Parse::Done(request, after) => {
                    fresh.push_back(*request);
                    rest = after;
                }
                Parse::Partial => {
                    self.partial = rest.to_vec();
                    break;
                }
                Parse::Garbage => break,
            }
        }
        if !fresh.is_empty() {
            self.pending = fresh;
        }
    }
}

enum Parse<'a> {
    Done(Box<ClientRequest>, &'a [u8]),
    Partial,
    Garbage,
}

/// Reads one request (HTTP head + Content-Length body, or a `@path {json}\0` socket message)
/// from the front of `data`.
fn parse_one(data: &[u8]) -> Parse<'_> {
    if data.first() == Some(&b'@') {
        let Some(nul) = data.iter().position(|&b| b == 0) else {
            return Parse::Garbage;
        };
        let Some(space) = data.iter().position(|&b| b == b' ') else {
            return Parse::Garbage;
        };
        let request = ClientRequest {
            path: data[..space].to_vec(),
            body: data[space + 1..nul].to_vec(),
            ..ClientRequest::default()
        };
        return Parse::Done(Box::new(request), &data[nul + 1..]);
    }
    let method_len = data
        .iter()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        .count();
    if method_len == 0 || data.get(method_len).is_some_and(|&b| b != b' ') {
        return Parse::Garbage;
    }
    let head_end = [&b"\r\n\r\n"[..], b"\n\n"]
        .iter()
        .filter_map(|end| {
            data.windows(end.len())
                .position(|w| w == *end)
                .map(|at| (at, at + end.len()))
        })
        .min();
    let Some((head_len, body_start)) = head_end else {
        return Parse::Partial;
    };
    let mut lines = data[..head_len]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let line: Vec<&[u8]> = lines.next().unwrap().split(|&b| b == b' ').collect();
    let [method, target, version] = line[..] else {
        return Parse::Garbage;
    };
    // An absolute-form target loses its scheme, as Mongrel2's parser does.
    let target = target.strip_prefix(b"http:").unwrap_or(target);
    let (before_fragment, fragment) = split_at_byte(target, b'#');
    let (path, query) = split_at_byte(before_fragment, b'?');
    let mut request = ClientRequest {
        method: Some(method.to_vec()),
        path: path.to_vec(),
        uri: before_fragment.to_vec(),
        query: query.map(<[u8]>::to_vec),
        fragment: fragment.map(<[u8]>::to_vec),
        version: version.to_vec(),
        ..ClientRequest::default()
    };
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Parse::Garbage;
        };
        let value = &line[colon + 1..];
        let value = &value[value
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count()..];
        request
            .headers
            .push((line[..colon].to_vec(), value.to_vec()));
    }
    let body = &data[body_start..];
    if chunked(&request) {
        return Parse::Done(Box::new(request), &[]);
    }
    let length = request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(b"content-length"))
        .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse::<usize>().ok())
        .unwrap_or(0);
    let take = length.min(body.len());
    request.body = body[..take].to_vec();
    request.missing = length - take;
    Parse::Done(Box::new(request), &body[take..])
}

/// `(before, Some(after))` around the first `byte`, or `(all, None)`.
fn split_at_byte(data: &[u8], byte: u8) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == byte) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    }
}
