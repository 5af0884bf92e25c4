//! `type = "proxy"` targets: the gateway as a plain reverse proxy to an
//! HTTP/1.1 upstream (Mongrel2's `Proxy(addr, port)`), for routes that have
//! no handler.
//!
//! One [`Proxy`] per target holds a keep-alive pool of upstream connections.
//! A request is forwarded as it arrives: its body is streamed upstream
//! ([`upload`], capped by the route's `max_body_bytes`), its head rewritten
//! ([`headers`], [`uri`]); the response head must come within the route's
//! `reply_timeout` once the body is sent ([`progress`]; else 504), and its
//! body is streamed back ([`download`]).
//! An upgrade (WebSocket) answered 101 becomes a byte [`tunnel`]. HTTP/2
//! clients are proxied as HTTP/1.1 requests. docs/parity/proxy.md compares
//! this with Mongrel2.

pub mod download;
mod error;
pub mod headers;
pub mod progress;
pub mod tunnel;
pub mod upload;
pub mod uri;

pub use error::{Error, NoHost};

use std::net::SocketAddr;
use std::sync::Arc;

use http::{header, HeaderValue, Method, Request, Response, StatusCode, Version};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access_log::Entry;
use crate::body::Body;
use crate::config::{self, Cidr, RouteSettings};
use crate::conn::Conn;
use crate::failure::{Failure, Fault};

/// A proxy target: its upstream and its connection pool.
#[derive(Debug)]
pub struct Proxy {
    name: String,
    base: uri::Base,
    preserve_host: bool,
    client: Client<HttpConnector, upload::Capped<Incoming>>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

/// A request as the proxy receives it, before its body is read.
#[derive(Debug)]
pub struct Inbound<'a> {
    /// The request head.
    pub parts: http::request::Parts,
    /// The request body, streamed upstream.
    pub body: Incoming,
    /// The client (the PROXY-protocol source when the TCP peer is trusted).
    pub peer: SocketAddr,
    /// The client connection: a tunnel takes it over from the HTTP server, so
    /// it keeps counting against `max_connections` until the tunnel ends.
    pub conn: &'a Arc<Conn>,
    /// Peers whose `X-Forwarded-*` headers are kept.
    pub trusted_proxies: &'a [Cidr],
    /// The route's deadlines and limits.
    pub settings: &'a RouteSettings,
}

impl Proxy {
    /// A proxy for target `name`; connections are opened on first use.
    /// Response pumps and tunnels run on `tracker` and end on `shutdown`.
    pub fn new(
        name: &str,
        config: &config::Proxy,
        tracker: &TaskTracker,
        shutdown: CancellationToken,
    ) -> Result<Proxy, NoHost> {
        let base = uri::Base::new(&config.url).ok_or_else(|| NoHost(name.to_owned()))?;
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.connect_timeout));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.max_idle_per_host)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector);
        Ok(Proxy {
            name: name.to_owned(),
            base,
            preserve_host: config.preserve_host,
            client,
            tracker: tracker.clone(),
            shutdown,
        })
    }

    /// Serves one request: the upstream's response, or the failure response.
    /// Upstream faults are answered here (and marked in `entry`); client
    /// faults are returned for the caller's one failure path.
    pub async fn serve(
        &self,
        inbound: Inbound<'_>,
        entry: &mut Option<Entry>,
    ) -> Result<Response<Body>, Failure> {
        match self.forward(inbound).await {
            Ok(response) => Ok(response),
            Err(Error::Client(failure)) => Err(failure),
            Err(e) => {
                tracing::info!("{e}");
                if let Some(entry) = entry {
                    entry.failure = Some(Fault::Upstream);
                }
                Ok(e.response())
            }
        }
    }

    /// Forwards the request and returns the upstream's response, rewritten.
    pub async fn forward(&self, inbound: Inbound<'_>) -> Result<Response<Body>, Error> {
        let Inbound {
            mut parts,
            body,
            peer,
            conn,
            trusted_proxies,
            settings,
        } = inbound;
        if parts.method == Method::CONNECT {
            return Err(Error::Client(Failure::NotImplemented(
                "CONNECT is not proxied",
            )));
        }
        if declared_length(&parts.headers).is_some_and(|n| n > settings.max_body_bytes) {
            return Err(Error::Client(Failure::BodyTooLarge {
                limit: settings.max_body_bytes,
            }));
        }
        let uri = self
            .base
            .join(&parts.uri)
            .map_err(|_| Error::Client(Failure::BadRequest("the request target is not a path")))?;
        let protocol = headers::upgrade(&parts.headers);
        let client_upgrade = protocol
            .as_ref()
            .and_then(|_| parts.extensions.remove::<OnUpgrade>());
        let mut head = std::mem::take(&mut parts.headers);
        self.rewrite_request(&mut head, &parts, peer, trusted_proxies);
        if let (Some(protocol), Some(_)) = (&protocol, &client_upgrade) {
            headers::restore_upgrade(&mut head, protocol.clone());
        }
        let (body, watcher) =
            upload::Capped::new(body, settings.max_body_bytes, settings.idle_timeout);
        let mut request = Request::new(body);
        *request.method_mut() = parts.method;
        *request.uri_mut() = uri;
        *request.version_mut() = Version::HTTP_11;
        *request.headers_mut() = head;
        let exchange = progress::head_within(
            self.client.request(request),
            watcher,
            settings.idle_timeout,
            settings.reply_timeout,
        );
        let mut response = match exchange.await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return Err(self.classify(&e)),
            Err(late) => {
                return Err(Error::Timeout {
                    target: self.name.clone(),
                    after: match late {
                        progress::Late::Upload => settings.idle_timeout,
                        progress::Late::Head => settings.reply_timeout,
                    },
                    late,
                })
            }
        };
        if response.status() == StatusCode::SWITCHING_PROTOCOLS {
            let (Some(client), Some(asked)) = (client_upgrade, protocol) else {
                return Err(self.failed("101 Switching Protocols without an upgrade request"));
            };
            let upstream = hyper::upgrade::on(&mut response);
            let granted = headers::upgrade(response.headers()).unwrap_or(asked);
            let (mut head, _) = response.into_parts();
            headers::strip_hop_by_hop(&mut head.headers);
            headers::restore_upgrade(&mut head.headers, granted);
            headers::add_via(&mut head.headers, Version::HTTP_11);
            conn.take_over();
            let (held, idle, shutdown) =
                (conn.clone(), settings.idle_timeout, self.shutdown.clone());
            self.tracker.spawn(async move {
                tunnel::run(client, upstream, idle, shutdown).await;
                // Releases the connection's `max_connections` permit.
                held.close_signal().cancel();
            });
            return Ok(Response::from_parts(head, Body::empty()));
        }
        let (mut head, body) = response.into_parts();
        headers::strip_hop_by_hop(&mut head.headers);
        headers::add_via(&mut head.headers, head.version);
        head.version = Version::HTTP_11;
        let body = download::stream(
            body,
            settings.idle_timeout,
            &self.tracker,
            self.shutdown.clone(),
        );
        Ok(Response::from_parts(head, body))
    }

    /// The request head as the upstream sees it (hop-by-hop removed, `Expect`
    /// answered by us, `X-Forwarded-*` and `Via` added, `Host` chosen).
    fn rewrite_request(
        &self,
        head: &mut http::HeaderMap,
        parts: &http::request::Parts,
        peer: SocketAddr,
        trusted_proxies: &[Cidr],
    ) {
        let client_host = head.get(header::HOST).cloned().or_else(|| {
            parts
                .uri
                .authority()
                .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        });
        headers::strip_hop_by_hop(head);
        head.remove(header::EXPECT);
        head.remove(header::HOST);
        let forwarded = headers::Forwarded {
            peer: peer.ip(),
            peer_trusted: trusted_proxies.iter().any(|c| c.contains(peer.ip())),
            host: client_host.as_ref(),
            proto: "http",
        };
        headers::add_forwarded(head, &forwarded);
        headers::add_via(head, parts.version);
        let host = match (self.preserve_host, client_host) {
            (true, Some(host)) => Some(host),
            _ => HeaderValue::from_str(self.base.authority().as_str()).ok(),
        };
        if let Some(host) = host {
            head.insert(header::HOST, host);
        }
    }

    /// Sorts a failed upstream exchange by whose fault it was.
    fn classify(&self, e: &hyper_util::client::legacy::Error) -> Error {
        if let Some(cause) = upload::find(e) {
            return Error::Client(match cause {
                upload::Error::TooLarge { limit } => Failure::BodyTooLarge { limit: *limit },
                upload::Error::Idle(_) => Failure::RequestTimeout,
                upload::Error::Client(_) => {
                    Failure::BadRequest("the request body could not be read")
                }
            });
        }
        if e.is_connect() {
            return Error::Unreachable {
                target: self.name.clone(),
                why: chain(e),
            };
        }
        self.failed(&chain(e))
    }

    fn failed(&self, why: &str) -> Error {
        Error::Failed {
            target: self.name.clone(),
            why: why.to_owned(),
        }
    }
}

/// The `Content-Length` the client declared, if it is a number.
fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// An error and its sources, `: `-separated, for the log.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests;
