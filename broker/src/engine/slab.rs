//! A generational slab: O(1) insert, lookup and removal with keys that go stale when their entry is removed.
//!
//! The engine's tables (workers, services, gateways, requests) are slabs so that queues can hold plain
//! `Copy` keys: an entry removed elsewhere simply stops resolving (its generation moved on) instead of
//! having to be searched for and unlinked. Freed indices are reused, so steady-state traffic allocates
//! nothing.

/// Names one slab entry for as long as it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Key {
    index: u32,
    generation: u32,
}

impl Key {
    /// The smallest key, a lower bound for range scans over sets of keys.
    pub(crate) const MIN: Key = Key {
        index: 0,
        generation: 0,
    };

    /// Packs the key into a `u64` (index high, generation low), e.g. for a wire request id.
    pub(crate) fn to_u64(self) -> u64 {
        (u64::from(self.index) << 32) | u64::from(self.generation)
    }

    /// Unpacks [`Key::to_u64`]. Any value is accepted; a forged one just resolves to nothing.
    pub(crate) fn from_u64(value: u64) -> Key {
        Key {
            index: (value >> 32) as u32,
            generation: value as u32,
        }
    }
}

struct Entry<T> {
    generation: u32,
    value: Option<T>,
}

/// A table of `T` with at most `limit` live entries.
pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    len: usize,
    limit: usize,
}

impl<T> Slab<T> {
    /// An empty slab that refuses inserts beyond `limit` live entries (and beyond `u32::MAX` indices).
    pub(crate) fn new(limit: usize) -> Self {
        let limit = limit.min(u32::MAX as usize);
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
            limit,
        }
    }

    /// Number of live entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores `value`, or hands it back when the slab is full (the caller sheds load with it).
    pub(crate) fn insert(&mut self, value: T) -> Result<Key, T> {
        if self.len >= self.limit {
            return Err(value);
        }
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                let Ok(index) = u32::try_from(self.entries.len()) else {
                    return Err(value);
                };
                self.entries.push(Entry {
                    generation: 0,
                    value: None,
                });
                index
            }
        };
        let Some(entry) = self.entries.get_mut(index as usize) else {
            return Err(value);
        };
        entry.value = Some(value);
        self.len += 1;
        Ok(Key {
            index,
            generation: entry.generation,
        })
    }

    /// The entry `key` names, if it still lives.
    pub(crate) fn get(&self, key: Key) -> Option<&T> {
        let entry = self.entries.get(key.index as usize)?;
        if entry.generation != key.generation {
            return None;
        }
        entry.value.as_ref()
    }

    /// Mutable access to the entry `key` names, if it still lives.
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        let entry = self.entries.get_mut(key.index as usize)?;
        if entry.generation != key.generation {
            return None;
        }
        entry.value.as_mut()
    }

    /// Removes the entry; every copy of `key` goes stale.
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        let entry = self.entries.get_mut(key.index as usize)?;
        if entry.generation != key.generation {
            return None;
        }
        let value = entry.value.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(key.index);
        self.len -= 1;
        Some(value)
    }

    /// Live entries with their keys, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Key, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| {
                let value = entry.value.as_ref()?;
                Some((
                    Key {
                        index: index as u32,
                        generation: entry.generation,
                    },
                    value,
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_keys_go_stale_and_indices_are_reused() {
        let mut slab = Slab::new(8);
        let a = slab.insert("a").unwrap();
        assert_eq!(slab.remove(a), Some("a"));
        let b = slab.insert("b").unwrap();
        assert_eq!(slab.get(a), None, "stale key must not see the new entry");
        assert_eq!(slab.get(b), Some(&"b"));
        assert_eq!(Key::from_u64(b.to_u64()), b);
        assert_eq!(slab.remove(a), None);
        assert_eq!(slab.len(), 1);
    }

    #[test]
    fn full_slab_hands_the_value_back() {
        let mut slab = Slab::new(1);
        slab.insert(1).unwrap();
        assert_eq!(slab.insert(2), Err(2));
    }
}
