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
use std::collections::HashMap;

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
    /// The first value; a key almost always has just one, which then costs no allocation.
    pub(super) first: Cow<'a, [u8]>,
    /// Values after the first (at most `MAX_VALUES - 1`).
    pub(super) more: Vec<Cow<'a, [u8]>>,
    hash: u32,
    /// Where the key sits in its chain: the smallest comes first in a scan.
    place: i64,
}

impl<'a> Entry<'a> {
    fn values(&self) -> usize {
        1 + self.more.len()
    }
}

/// Keys beyond which [`Table::find`] uses an index by hash instead of a scan of every key.
const SCAN_LIMIT: usize = 16;

/// The table. Instead of kazlib's chains of nodes, each entry records its chain position (`place`,
/// smallest first, so a key put at a chain's head takes a place below every other); a scan sorts by
/// (chain, place). A request's table is built and read once, and usually holds a handful of keys:
/// this costs one allocation where 64 empty chains and one list per chain cost many.
#[derive(Debug)]
pub(super) struct Table<'a> {
    entries: Vec<Entry<'a>>,
    /// Chains at the current size (a power of two).
    chains: usize,
    /// The place of the next key put at a chain's head: below every place given so far.
    next_head: i64,
    /// Entry indices by key hash, kept once the table holds more than [`SCAN_LIMIT`] keys.
    by_hash: Option<HashMap<u32, Vec<usize>>>,
    max_keys: usize,
}

impl<'a> Table<'a> {
    /// An empty table that accepts client headers until it holds `max_keys` keys
    /// (`limits.header_count`).
    pub(super) fn new(max_keys: usize) -> Self {
        Table {
            entries: Vec::new(),
            chains: INIT_CHAINS,
            next_head: -1,
            by_hash: None,
            max_keys,
        }
    }

    /// A client header line: `Request_set(key, value, 0)` after the table-full check.
    pub(super) fn add(&mut self, key: Cow<'a, [u8]>, value: Cow<'a, [u8]>) -> Added {
        if self.entries.len() >= self.max_keys {
            return Added::TableFull;
        }
        let hash = hash(&key);
        match self.find(hash, &key) {
            Some(index) if self.entries[index].values() >= MAX_VALUES => Added::TooManyValues,
            Some(index) => {
                self.entries[index].more.push(value);
                Added::Stored
            }
            None => {
                self.insert(key, hash, value);
                Added::Stored
            }
        }
    }

    /// One of Mongrel2's own keys: `Request_set(key, value, 1)`, which replaces every value of an
    /// existing key in place and is not subject to the client-header cap.
    pub(super) fn set(&mut self, key: Cow<'a, [u8]>, value: Cow<'a, [u8]>) {
        let hash = hash(&key);
        match self.find(hash, &key) {
            Some(index) => {
                let entry = &mut self.entries[index];
                entry.first = value;
                entry.more.clear();
            }
            None => self.insert(key, hash, value),
        }
    }

    /// The entries in Mongrel2's scan order (JSON order; tnetstring uses the reverse): chains 0..
    /// in order, each from its head.
    pub(super) fn into_scan_order(self) -> Vec<Entry<'a>> {
        let mask = self.chains - 1;
        let mut entries = self.entries;
        entries.sort_unstable_by_key(|entry| (entry.hash as usize & mask, entry.place));
        entries
    }

    /// The index of `key`'s entry (`hash` is its hash).
    fn find(&self, hash: u32, key: &[u8]) -> Option<usize> {
        let matches = |&index: &usize| {
            let entry = &self.entries[index];
            entry.hash == hash && entry.key[..] == *key
        };
        match &self.by_hash {
            Some(by_hash) => by_hash.get(&hash)?.iter().copied().find(matches),
            None => (0..self.entries.len()).find(matches),
        }
    }

    /// Adds a new key at the head of its chain, growing the table first when it is at its
    /// high-water mark.
    fn insert(&mut self, key: Cow<'a, [u8]>, hash: u32, value: Cow<'a, [u8]>) {
        if self.entries.len() >= 2 * self.chains {
            self.grow();
        }
        let index = self.entries.len();
        self.entries.push(Entry {
            key,
            first: value,
            more: Vec::new(),
            hash,
            place: self.next_head,
        });
        self.next_head -= 1;
        match &mut self.by_hash {
            Some(by_hash) => by_hash.entry(hash).or_default().push(index),
            None if self.entries.len() > SCAN_LIMIT => {
                let mut by_hash: HashMap<u32, Vec<usize>> = HashMap::new();
                for (index, entry) in self.entries.iter().enumerate() {
                    by_hash.entry(entry.hash).or_default().push(index);
                }
                self.by_hash = Some(by_hash);
            }
            None => {}
        }
    }

    /// kazlib's `grow_table`: chain `c` splits into `c` and `c + old`, by the hash bit the wider
    /// mask exposes; walking the old chain from its head and pushing each key onto the front of
    /// its new chain reverses the order of the keys that stay together. Keys sharing a new chain
    /// all come from the same old one, so negating every place reverses exactly those orders.
    fn grow(&mut self) {
        self.chains *= 2;
        let mut lowest = 0;
        for entry in &mut self.entries {
            entry.place = -entry.place;
            lowest = lowest.min(entry.place);
        }
        self.next_head = lowest - 1;
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
        assert_eq!((&x.first[..], x.more.len()), (&b"only"[..], 0));
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
        assert_eq!(table.chains, 128);
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

    /// kazlib's table as Mongrel2 runs it, node by node: 64 chains, a new key at the head of its
    /// chain, a scan chain by chain from each head, and `grow_table` splitting every chain by the
    /// newly exposed bit, pushing each key onto the front of its new chain. The reference the
    /// compact table is checked against.
    struct Chains {
        keys: Vec<Vec<u8>>,
        chains: Vec<Vec<usize>>,
    }

    impl Chains {
        fn new() -> Self {
            Chains {
                keys: Vec::new(),
                chains: vec![Vec::new(); INIT_CHAINS],
            }
        }

        fn set(&mut self, key: &[u8]) {
            let mask = self.chains.len() - 1;
            if self.chains[hash(key) as usize & mask]
                .iter()
                .any(|&i| self.keys[i] == key)
            {
                return;
            }
            if self.keys.len() >= 2 * self.chains.len() {
                let old = self.chains.len();
                let mut chains = vec![Vec::new(); old * 2];
                for (number, chain) in self.chains.iter().enumerate() {
                    for &index in chain {
                        let high = hash(&self.keys[index]) as usize & old != 0;
                        chains[if high { number + old } else { number }].insert(0, index);
                    }
                }
                self.chains = chains;
            }
            let chain = hash(key) as usize & (self.chains.len() - 1);
            self.chains[chain].insert(0, self.keys.len());
            self.keys.push(key.to_vec());
        }

        fn scan(&self) -> Vec<String> {
            self.chains
                .iter()
                .flatten()
                .map(|&i| String::from_utf8_lossy(&self.keys[i]).into_owned())
                .collect()
        }
    }

    proptest::proptest! {
        /// Any sequence of keys (repeats included, up to several doublings of the table) scans in
        /// the order kazlib's chains give.
        #[test]
        fn scan_order_is_kazlibs(names in proptest::collection::vec(0u16..700, 0..600)) {
            let mut table = Table::new(1280);
            let mut reference = Chains::new();
            for n in &names {
                let key = format!("k{n}").into_bytes();
                reference.set(&key);
                table.set(Cow::Owned(key), Cow::Borrowed(b"v"));
            }
            proptest::prop_assert_eq!(keys(table), reference.scan());
        }
    }
}
