//! Property tests: encode/parse round trips, and no panic on any input.

use super::*;
use proptest::prelude::*;

/// An owned value tree, because proptest needs owned data and [`Value`] borrows.
#[derive(Debug, Clone)]
enum Tree {
    Str(Vec<u8>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    List(Vec<Tree>),
    Dict(Vec<(Vec<u8>, Tree)>),
}

impl Tree {
    fn view(&self) -> Value<'_> {
        match self {
            Tree::Str(s) => Value::Str(s),
            Tree::Int(i) => Value::Int(*i),
            Tree::Float(f) => Value::Float(*f),
            Tree::Bool(b) => Value::Bool(*b),
            Tree::Null => Value::Null,
            Tree::List(items) => Value::List(items.iter().map(Tree::view).collect()),
            Tree::Dict(pairs) => {
                Value::Dict(pairs.iter().map(|(k, v)| (&k[..], v.view())).collect())
            }
        }
    }
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..24).prop_map(Tree::Str),
        any::<i64>().prop_map(Tree::Int),
        // Every NaN encodes as "NaN", which parses to the canonical NaN.
        any::<f64>().prop_map(|f| Tree::Float(if f.is_nan() { f64::NAN } else { f })),
        any::<bool>().prop_map(Tree::Bool),
        Just(Tree::Null),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Tree::List),
            proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..8), inner), 0..6)
                .prop_map(Tree::Dict),
        ]
    })
}

proptest! {
    #[test]
    fn encode_then_parse_gives_the_value_back(tree in tree()) {
        let value = tree.view();
        let bytes = value.to_vec();
        prop_assert_eq!(value.encoded_len(), bytes.len());
        prop_assert_eq!(parse_complete(&bytes)?, value);
    }

    #[test]
    fn every_strict_prefix_of_an_encoding_is_incomplete(tree in tree(), cut in any::<prop::sample::Index>()) {
        let bytes = tree.view().to_vec();
        let cut = cut.index(bytes.len());
        let is_incomplete = matches!(parse(&bytes[..cut]), Err(Error::Incomplete { .. }));
        prop_assert!(is_incomplete);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in any::<Vec<u8>>()) {
        let _outcome = parse(&bytes);
        let _outcome = parse_complete(&bytes);
    }

    #[test]
    fn corrupted_encodings_never_panic_and_reencode_when_accepted(
        tree in tree(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = tree.view().to_vec();
        let at = at.index(bytes.len());
        bytes[at] = byte;
        if let Ok(value) = parse_complete(&bytes) {
            let again = value.to_vec();
            prop_assert_eq!(parse_complete(&again)?, value);
        }
    }
}
