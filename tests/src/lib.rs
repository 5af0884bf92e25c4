//! Harness for Scale0's end-to-end tests: starts real peers (Mongrel2, nginx,
//! Python handlers, the `scale0` binary) on loopback and talks to them.
