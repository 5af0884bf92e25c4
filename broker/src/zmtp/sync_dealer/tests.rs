//! Tests of the non-blocking DEALER.
