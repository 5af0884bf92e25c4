//! Any bytes: `request::decode` never panics, and a decoded request re-encodes to a frame that
//! decodes to the same request (byte-identical when the input was already canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mongrel2_compat::request;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = request::decode(data) {
        let frame = decoded.to_vec();
        assert_eq!(frame.len(), decoded.encoded_len());
        let again = request::decode(&frame).expect("an encoded request decodes");
        assert_eq!(again, decoded);
        assert_eq!(again.to_vec(), frame);
    }
});
