//! `bench-hyper ADDR [THREADS]`: a bare hyper HTTP/1.1 server answering the
//! fixed 13-byte body: the backend behind nginx and, alone, the ceiling of
//! what an HTTP server in Rust does on this machine. THREADS = 1 (default)
//! runs tokio's current-thread runtime; more runs a multi-thread runtime with
//! that many workers. Runs until killed.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use scale0_bench_backends::{positional, BODY};
use tokio::net::TcpListener;

const USAGE: &str = "bench-hyper ADDR [THREADS]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let [addr, threads] = positional::<2>(std::env::args(), 1, &["1"], USAGE)?;
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| format!("ADDR {addr:?} is not IP:PORT: {e}"))?;
    let threads: usize = threads
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("THREADS {threads:?} is not a count of at least 1"))?;
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(serve(addr))
}

async fn serve(addr: SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        // A failed accept or socket option loses one connection, not the server.
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        if stream.set_nodelay(true).is_err() {
            continue;
        }
        tokio::spawn(async move {
            // A client that misbehaves only ends its own connection.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}

async fn hello(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(BODY))))
}
