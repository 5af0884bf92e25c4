//! CPU time of the calling thread, from `/proc/thread-self/stat` (Linux), so the report can say how
//! busy the broker's thread was: on a machine where the workers and libzmq's I/O threads share few
//! cores, requests per CPU-second of the broker thread is the broker's own ceiling.

use std::time::Duration;

/// Clock ticks per second of `utime`/`stime` (`USER_HZ`, 100 on every Linux platform Scale0 targets).
const TICKS_PER_SECOND: u64 = 100;

/// User plus system time the calling thread has used, if `/proc` tells.
pub fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis(
        (utime + stime) * 1000 / TICKS_PER_SECOND,
    ))
}
