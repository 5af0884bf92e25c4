//! Example handlers and workers for Scale0 (binaries under `src/bin`).
