//! Any bytes: `reply::parse` (Mongrel2's strict reply grammar) never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mongrel2_compat::reply;

fuzz_target!(|data: &[u8]| {
    let _ = reply::parse(data);
});
