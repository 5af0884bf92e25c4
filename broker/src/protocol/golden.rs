//! Test helpers shared by both codecs' golden-frame tests.

use std::fmt::Debug;

use bytes::Bytes;

use super::{Error, Version};

/// Owned copies of hand-written frames.
pub(super) fn frames(frames: &[&[u8]]) -> Vec<Vec<u8>> {
    frames.iter().map(|f| f.to_vec()).collect()
}

/// A codec's `decode_versioned` over borrowed frames.
type Decode<C> = fn(&[&[u8]]) -> Result<(Version, C), Error>;

/// `encode(command, V2) == expected` and `decode(expected) == (V2, command)`.
pub(super) fn golden_v2<C: Clone + Debug + PartialEq>(
    command: &C,
    expected: &[&[u8]],
    encode: fn(&C, Version) -> Vec<Bytes>,
    decode: Decode<C>,
) {
    let encoded = encode(command, Version::V2);
    assert_eq!(
        encoded.iter().map(|f| f.as_ref()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(decode(expected).unwrap(), (Version::V2, command.clone()));
}
