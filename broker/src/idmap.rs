//! Hash maps keyed by small integers (request ids, connection ids, table keys), with a cheaper hasher
//! than std's SipHash, which was about 2 % of the gateway thread on the service path.
//!
//! The hasher multiplies and rotates (as rustc's FxHash does) from a seed drawn from std's
//! `RandomState` once per map, so which keys collide differs from process to process and map to map.
//! Only integer keys use it; keys a network peer chooses freely (routing identities, sender ids,
//! service names) stay on SipHash.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// A `HashMap` for integer keys with [`IdHasher`].
pub type IdMap<K, V> = HashMap<K, V, BuildIdHasher>;

/// An empty [`IdMap`].
pub fn id_map<K, V>() -> IdMap<K, V> {
    HashMap::with_hasher(BuildIdHasher::new())
}

/// Builds [`IdHasher`]s starting from this map's random seed.
#[derive(Debug, Clone, Copy)]
pub struct BuildIdHasher {
    seed: u64,
}

impl BuildIdHasher {
    /// A builder with a fresh random seed.
    pub fn new() -> Self {
        BuildIdHasher {
            seed: RandomState::new().hash_one(0x5ca1_e000_u64),
        }
    }
}

impl Default for BuildIdHasher {
    fn default() -> Self {
        BuildIdHasher::new()
    }
}

impl BuildHasher for BuildIdHasher {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher { state: self.seed }
    }
}

/// Multiply-rotate hasher for integer keys; see the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct IdHasher {
    state: u64,
}

/// An odd constant with well-spread bits (from the golden ratio).
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut rest = [0; 8];
        let tail = chunks.remainder();
        rest[..tail.len()].copy_from_slice(tail);
        self.add(u64::from_le_bytes(rest) ^ ((tail.len() as u64) << 56));
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // Fold the high bits down: hashbrown takes its bucket index from the low bits and its tag from
        // the top seven.
        self.state ^ (self.state >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_hold_many_sequential_and_strided_keys() {
        let mut map = id_map();
        for i in 0..10_000u64 {
            map.insert(i << 32 | (i * 7), i);
        }
        assert_eq!(map.len(), 10_000);
        assert!((0..10_000u64).all(|i| map.get(&(i << 32 | (i * 7))) == Some(&i)));
        assert_eq!(map.remove(&(5 << 32 | 35)), Some(5));
        assert_eq!(map.get(&(5 << 32 | 35)), None);
    }

    #[test]
    fn two_maps_hash_the_same_key_differently_and_one_map_consistently() {
        let (a, b) = (BuildIdHasher::new(), BuildIdHasher::new());
        assert_eq!(a.hash_one(42u64), a.hash_one(42u64));
        assert_ne!(a.hash_one(42u64), b.hash_one(42u64));
    }

    #[test]
    fn byte_keys_of_different_lengths_differ() {
        let hasher = BuildIdHasher::new();
        assert_ne!(hasher.hash_one([1u8, 0]), hasher.hash_one([1u8]));
        assert_ne!(hasher.hash_one((1u32, 2u64)), hasher.hash_one((2u32, 1u64)));
    }
}
