//! Targets: where a route sends its requests. A `handler` target is a pair of
//! ZeroMQ sockets bound by the gateway exactly as Mongrel2 binds them; the
//! `service` (broker), `dir` and `proxy` targets come with later issues.

pub mod handler;
