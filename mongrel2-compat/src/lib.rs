//! The Mongrel2 handler protocol, sans-IO.
//!
//! (Skeleton: the codec modules land with issue 2.)
