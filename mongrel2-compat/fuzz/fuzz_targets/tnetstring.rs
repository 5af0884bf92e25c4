//! Any bytes: `tnetstring::parse` never panics, and a parsed value re-encodes to a canonical form
//! that parses back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mongrel2_compat::tnetstring;

fuzz_target!(|data: &[u8]| {
    if let Ok((value, _rest)) = tnetstring::parse(data) {
        let encoded = value.to_vec();
        assert_eq!(encoded.len(), value.encoded_len());
        let again = tnetstring::parse_complete(&encoded).expect("canonical encoding parses");
        assert_eq!(again, value);
    }
});
