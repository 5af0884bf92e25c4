//! Scale0's broker: per-service least-recently-used dispatch of Mongrel2 request
//! messages to workers that announce the services they serve and their capacity.
//!
//! (Stub: the engine, the worker protocol and the I/O loop land with issue 4.)
