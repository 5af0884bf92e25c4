//! Scale0's gateway: a hyper HTTP front that routes requests by host and path to
//! targets and speaks the Mongrel2 handler protocol to them over ZeroMQ.
//!
//! (Skeleton: the server lands with issue 3.)
