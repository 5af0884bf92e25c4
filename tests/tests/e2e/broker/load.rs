//! Clients for the broker stories: [`send`] makes one request on a fresh connection; [`Load`] keeps
//! client threads sending back to back (a closed loop: each sends its next request when the last one
//! ended, no pacing) and records every outcome, so a story can count them all.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

use scale0_tests::client::{split_response, Conn};

/// A request not answered within this has hung: the longest route deadline of the stories is 5 s.
pub const ANSWER_DEADLINE: Duration = Duration::from_secs(10);

/// The methods the stories send: GET may be re-dispatched when its worker dies, POST may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// What the client got.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// `X-Worker`: which hello-worker answered.
    pub worker: Option<String>,
    pub retry_after: Option<String>,
    pub body: String,
    /// From connecting to the end of the response.
    pub elapsed: Duration,
}

/// `method path` on a fresh connection (`Connection: close`), with `body`; an error when no complete
/// answer came within [`ANSWER_DEADLINE`].
pub fn send(port: u16, method: Method, path: &str, body: &[u8]) -> anyhow::Result<Answer> {
    let start = Instant::now();
    let mut conn = Conn::connect(port)?;
    let head = format!(
        "{} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        method.name(),
        body.len()
    );
    conn.send(head.as_bytes())?;
    conn.send(body)?;
    let bytes = conn.read_response(ANSWER_DEADLINE)?;
    let (status, headers, body) = split_response(&bytes)?;
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    Ok(Answer {
        status,
        worker: header("x-worker"),
        retry_after: header("retry-after"),
        body: String::from_utf8_lossy(&body).into_owned(),
        elapsed: start.elapsed(),
    })
}

/// One request of a [`Load`] and how it ended.
#[derive(Debug)]
pub struct Shot {
    pub method: Method,
    /// The load's phase when the request was sent ([`Load::set_phase`]).
    pub phase: usize,
    /// The answer, or why there was none (a hang shows as a deadline error).
    pub answer: Result<Answer, String>,
}

/// Requests numbered 0.. up to a limit, shared by client threads.
pub struct Load {
    limit: usize,
    path: &'static str,
    plan: fn(usize) -> Method,
    next: AtomicUsize,
    done: AtomicUsize,
    phase: AtomicUsize,
}

impl Load {
    /// At most `limit` requests to `path`, request `i` with method `plan(i)` (POSTs carry a body).
    pub fn new(limit: usize, path: &'static str, plan: fn(usize) -> Method) -> Load {
        Load {
            limit,
            path,
            plan,
            next: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            phase: AtomicUsize::new(0),
        }
    }

    /// Starts `clients` threads in `scope` sending to the gateway on `port`; join them with [`join`].
    pub fn run<'scope, 'env>(
        &'env self,
        scope: &'scope Scope<'scope, 'env>,
        port: u16,
        clients: usize,
    ) -> Vec<ScopedJoinHandle<'scope, Vec<Shot>>> {
        (0..clients)
            .map(|_| scope.spawn(move || self.client(port)))
            .collect()
    }

    fn client(&self, port: u16) -> Vec<Shot> {
        let mut shots = Vec::new();
        loop {
            let index = self.next.fetch_add(1, Ordering::AcqRel);
            if index >= self.limit {
                return shots;
            }
            let method = (self.plan)(index);
            let phase = self.phase.load(Ordering::Acquire);
            let body = match method {
                Method::Get => Vec::new(),
                Method::Post => format!("request {index}").into_bytes(),
            };
            let answer = send(port, method, self.path, &body).map_err(|e| format!("{e:#}"));
            shots.push(Shot {
                method,
                phase,
                answer,
            });
            self.done.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Requests ended so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Acquire)
    }

    /// Waits until `count` requests have ended (or fails after `deadline`).
    pub fn wait_done(&self, count: usize, deadline: Duration) {
        let what = format!("{count} requests to end");
        scale0_tests::wait::until(&what, deadline, || (self.done() >= count).then_some(()))
            .unwrap();
    }

    /// Requests sent from now on are marked `phase`.
    pub fn set_phase(&self, phase: usize) {
        self.phase.store(phase, Ordering::Release);
    }

    /// No new requests; those in progress still end.
    pub fn stop(&self) {
        self.next.fetch_max(self.limit, Ordering::AcqRel);
    }
}

/// Every shot of the clients `run` started.
pub fn join(clients: Vec<ScopedJoinHandle<'_, Vec<Shot>>>) -> Vec<Shot> {
    clients
        .into_iter()
        .flat_map(|c| c.join().expect("a client thread panicked"))
        .collect()
}

/// Counts of outcomes as `"GET 200"`, `"POST 502"`, `"GET no answer"`.
pub fn outcomes<'a>(shots: impl IntoIterator<Item = &'a Shot>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for shot in shots {
        let outcome = match &shot.answer {
            Ok(answer) => answer.status.to_string(),
            Err(_) => "no answer".to_owned(),
        };
        *counts
            .entry(format!("{} {outcome}", shot.method.name()))
            .or_default() += 1;
    }
    counts
}

/// Answers with status 200 per worker (`X-Worker`; `"?"` when missing).
pub fn by_worker<'a>(shots: impl IntoIterator<Item = &'a Shot>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for answer in shots.into_iter().filter_map(|s| s.answer.as_ref().ok()) {
        if answer.status == 200 {
            let worker = answer.worker.clone().unwrap_or_else(|| "?".to_owned());
            *counts.entry(worker).or_default() += 1;
        }
    }
    counts
}

/// The first failure to answer among `shots`, for assertion messages.
pub fn first_error(shots: &[Shot]) -> Option<&str> {
    shots
        .iter()
        .find_map(|s| s.answer.as_ref().err())
        .map(String::as_str)
}
