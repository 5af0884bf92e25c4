//! Mongrel2's header table, modelled so its iteration order comes out byte-identical.
//!
//! Mongrel2 keeps a request's headers in a kazlib hash (`src/adt/hash.c`, `src/request.c`):
//! * 64 chains at first; key hash = 32-bit FNV-1a over the key's bytes *as stored* (client names
//!   are lower-cased before insertion, Mongrel2's own keys such as `DOWNLOAD_CREDITS` stay
//!   upper-case, and the C code stops at a NUL byte); chain = `hash & mask`;
//! * a new key goes to the head of its chain, and a scan visits chains 0.. in order, each from
//!   its head, so inside a chain the most recently inserted key comes first;
//! * before an insertion that finds the table holding `2 × chains` keys (128 at first), the table
//!   doubles: each chain is split by the newly exposed hash bit, and the split reverses the order
//!   of the keys that move together (source only: never seen on the wire, as it takes >128 keys);
//! * `Request_set(key, value, replace)`: an existing key keeps its place; with `replace` its
//!   values become `[value]`, without it the value is appended unless 5 are there already
//!   (`MAX_DUPE_HEADERS`); client headers are also dropped once the table holds
//!   `limits.header_count` keys.

use std::borrow::Cow;

/// Chains of a new table (kazlib `INIT_SIZE`).
const INIT_CHAINS: usize = 64;

/// Most values one key holds (Mongrel2's `MAX_DUPE_HEADERS`).
pub(super) const MAX_VALUES: usize = 5;

/// FNV-1a offset basis (32-bit).
const FNV_OFFSET: u32 = 2_166_136_261;

/// FNV-1a prime (32-bit).
const FNV_PRIME: u32 = 16_777_619;

/// What happened to a client header line offered to [`Table::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Added {
    /// Stored (as a new key or as a further value).
    Stored,
    /// Dropped: the key already holds [`MAX_VALUES`] values.
    TooManyValues,
    /// Dropped: the table already holds its maximum number of keys.
    TableFull,
}

/// One key and its values, in arrival order.
#[derive(Debug)]
pub(super) struct Entry<'a> {
    pub(super) key: Cow<'a, [u8]>,
    pub(super) values: Vec<Cow<'a, [u8]>>,
    hash: u32,
}

/// The table: entries in insertion order, and chains of entry indices in scan order (head first).
#[derive(Debug)]
pub(super) struct Table<'a> {
    entries: Vec<Entry<'a>>,
    chains: Vec<Vec<usize>>,
    max_keys: usize,
}

impl<'a> Table<'a> {
    /// An empty table that accepts client headers until it holds `max_keys` keys
    /// (`limits.header_count`).
    pub(super) fn new(max_keys: usize) -> Self {
        Table {
            entries: Vec::new(),
            chains: vec![Vec::new(); INIT_CHAINS],
            max_keys,
        }
    }

    /// A client header line: `Request_set(key, value, 0)` after the table-full check.
    pub(super) fn add(&mut self, key: Cow<'a, [u8]>, value: Cow<'a, [u8]>) -> Added {
        if self.entries.len() >= self.max_keys {
            return Added::TableFull;
        }
        match self.find(&key) {
            Some(index) if self.entries[index].values.len() >= MAX_VALUES => Added::TooManyValues,
            Some(index) => {
                self.entries[index].values.push(value);
                Added::Stored
            }
            None => {
                self.insert(key, value);
                Added::Stored
            }
        }
    }

    /// One of Mongrel2's own keys: `Request_set(key, value, 1)`, which replaces every value of an
    /// existing key in place and is not subject to the client-header cap.
    pub(super) fn set(&mut self, key: Cow<'a, [u8]>, value: Cow<'a, [u8]>) {
        match self.find(&key) {
            Some(index) => self.entries[index].values = vec![value],
            None => self.insert(key, value),
        }
    }

    /// The entries in Mongrel2's scan order (JSON order; tnetstring uses the reverse).
    pub(super) fn into_scan_order(self) -> Vec<Entry<'a>> {
        let mut slots: Vec<Option<Entry<'a>>> = self.entries.into_iter().map(Some).collect();
        self.chains
            .iter()
            .flatten()
            .filter_map(|&index| slots.get_mut(index).and_then(Option::take))
            .collect()
    }

    /// The index of `key`'s entry, searching its chain as kazlib does.
    fn find(&self, key: &[u8]) -> Option<usize> {
        let hash = hash(key);
        self.chains[self.chain_of(hash)]
            .iter()
            .copied()
            .find(|&index| self.entries[index].hash == hash && self.entries[index].key[..] == *key)
    }

    /// Adds a new key at the head of its chain, growing the table first when it is at its
    /// high-water mark.
    fn insert(&mut self, key: Cow<'a, [u8]>, value: Cow<'a, [u8]>) {
        if self.entries.len() >= 2 * self.chains.len() {
            self.grow();
        }
        let hash = hash(&key);
        let chain = self.chain_of(hash);
        self.chains[chain].insert(0, self.entries.len());
        self.entries.push(Entry {
            key,
            values: vec![value],
            hash,
        });
    }

    /// kazlib's `grow_table`: chain `c` splits into `c` and `c + old`, by the hash bit the wider
    /// mask exposes; walking the old chain from its head and pushing each key onto the front of
    /// its new chain reverses the order of the keys that stay together.
    fn grow(&mut self) {
        let old = self.chains.len();
        let mut chains = vec![Vec::new(); old * 2];
        for (number, chain) in self.chains.iter().enumerate() {
            for &index in chain {
                let high = self.entries[index].hash as usize & old != 0;
                chains[if high { number + old } else { number }].insert(0, index);
            }
        }
        self.chains = chains;
    }

    /// The chain a hash falls in at the current size (a power of two).
    fn chain_of(&self, hash: u32) -> usize {
        hash as usize & (self.chains.len() - 1)
    }
}

/// Mongrel2's `bstr_hash_fun`: 32-bit FNV-1a over the key's bytes up to the first NUL.
pub(super) fn hash(key: &[u8]) -> u32 {
    key.iter()
        .take_while(|&&byte| byte != 0)
        .fold(FNV_OFFSET, |acc, &byte| {
            (acc ^ u32::from(byte)).wrapping_mul(FNV_PRIME)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(table: Table<'_>) -> Vec<String> {
        table
            .into_scan_order()
            .iter()
            .map(|entry| String::from_utf8_lossy(&entry.key).into_owned())
            .collect()
    }

    fn table_of(names: &[&'static str]) -> Table<'static> {
        let mut table = Table::new(1280);
        for name in names {
            table.set(Cow::Borrowed(name.as_bytes()), Cow::Borrowed(b"v"));
        }
        table
    }

    #[test]
    fn hash_is_fnv1a_over_the_stored_bytes() {
        assert_eq!(hash(b""), FNV_OFFSET);
        assert_eq!(hash(b"a"), 0xe40c_292c);
        assert_eq!(hash(b"DOWNLOAD_CREDITS") & 63, 36);
        assert_eq!(hash(b"download_credits") & 63, 4);
        assert_eq!(hash(b"FLAGS\0junk"), hash(b"FLAGS"));
    }

    #[test]
    fn scan_order_matches_the_captured_websocket_frame() {
        let table = table_of(&[
            "host",
            "upgrade",
            "connection",
            "sec-websocket-key",
            "sec-websocket-version",
            "origin",
            "x-forwarded-for",
            "FLAGS",
        ]);
        assert_eq!(
            keys(table),
            [
                "x-forwarded-for",
                "FLAGS",
                "origin",
                "connection",
                "sec-websocket-version",
                "sec-websocket-key",
                "host",
                "upgrade"
            ]
        );
    }

    #[test]
    fn values_merge_up_to_five_and_set_replaces_in_place() {
        let mut table = Table::new(1280);
        for value in ["1", "2", "3", "4", "5"] {
            assert_eq!(
                table.add(Cow::Borrowed(b"x"), Cow::Borrowed(value.as_bytes())),
                Added::Stored
            );
        }
        assert_eq!(
            table.add(Cow::Borrowed(b"x"), Cow::Borrowed(b"6")),
            Added::TooManyValues
        );
        table.add(Cow::Borrowed(b"y"), Cow::Borrowed(b"1"));
        table.set(Cow::Borrowed(b"x"), Cow::Borrowed(b"only"));
        let entries = table.into_scan_order();
        let x = entries.iter().find(|e| &e.key[..] == b"x").unwrap();
        assert_eq!(x.values, [Cow::Borrowed(&b"only"[..])]);
    }

    #[test]
    fn client_headers_are_dropped_once_the_table_is_full_but_own_keys_are_not() {
        let mut table = Table::new(2);
        table.add(Cow::Borrowed(b"a"), Cow::Borrowed(b"1"));
        table.add(Cow::Borrowed(b"b"), Cow::Borrowed(b"1"));
        assert_eq!(
            table.add(Cow::Borrowed(b"a"), Cow::Borrowed(b"2")),
            Added::TableFull
        );
        assert_eq!(
            table.add(Cow::Borrowed(b"c"), Cow::Borrowed(b"1")),
            Added::TableFull
        );
        table.set(
            Cow::Borrowed(b"x-forwarded-for"),
            Cow::Borrowed(b"127.0.0.1"),
        );
        assert_eq!(table.into_scan_order().len(), 3);
    }

    #[test]
    fn growth_splits_chains_by_the_exposed_bit_and_reverses_movers() {
        // Keys that all fall in chain 0 of 64 while the table is small.
        let names: Vec<String> = (0u32..)
            .map(|i| format!("k{i}"))
            .filter(|name| hash(name.as_bytes()) & 63 == 0)
            .take(3)
            .collect();
        let mut table = Table::new(1280);
        for name in &names {
            table.set(Cow::Owned(name.clone().into_bytes()), Cow::Borrowed(b"v"));
        }
        for i in 0..126 {
            table.set(
                Cow::Owned(format!("filler-{i}").into_bytes()),
                Cow::Borrowed(b"v"),
            );
        }
        // 129 keys: the 129th insertion doubled the table to 128 chains.
        table.set(Cow::Borrowed(b"last"), Cow::Borrowed(b"v"));
        assert_eq!(table.chains.len(), 128);
        let order = keys(table);
        let position = |name: &str| order.iter().position(|k| k == name).unwrap();
        let (low, high): (Vec<&String>, Vec<&String>) = names
            .iter()
            .partition(|name| hash(name.as_bytes()) & 64 == 0);
        // Inside each new chain the old head-first order is reversed: oldest first.
        for group in [low, high] {
            for pair in group.windows(2) {
                assert!(
                    position(pair[0]) < position(pair[1]),
                    "{pair:?} in {order:?}"
                );
            }
        }
    }
}
