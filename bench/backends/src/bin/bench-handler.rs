//! `bench-handler SEND_SPEC RECV_SPEC`: a minimal Mongrel2 handler on
//! `mongrel2_compat::handler` that answers every request with the fixed
//! 13-byte body. The same binary serves Scale0 and Mongrel2 in the benchmark,
//! so the handler side costs the same on both paths. Runs until killed.

use mongrel2_compat::handler::{self, Connection};
use scale0_bench_backends::{positional, BODY};

const USAGE: &str = "bench-handler SEND_SPEC RECV_SPEC";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let [send_spec, recv_spec] = positional::<2>(std::env::args(), 2, &[], USAGE)?;
    let conn = Connection::connect(None, &send_spec, &recv_spec)?;
    let headers = [("Content-Type", "text/plain")];
    loop {
        let incoming = conn.recv()?;
        // A malformed message cannot be answered (no conn id): skip it.
        let Ok(request) = incoming.request() else {
            continue;
        };
        if request.is_notice() {
            continue;
        }
        conn.reply_http(&request, BODY, 200, "OK", &headers)?;
        if handler::should_close(&request) {
            conn.close(&request)?;
        }
    }
}
