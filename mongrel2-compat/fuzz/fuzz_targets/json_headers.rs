//! Any bytes: `json::parse_object` never panics, and the string/array values it decodes, written
//! back in Mongrel2's form, parse to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mongrel2_compat::json::{self, JsonValue, ObjectWriter};

fuzz_target!(|data: &[u8]| {
    let Ok(object) = json::parse_object(data) else {
        return;
    };
    let mut text = Vec::new();
    let mut writer = ObjectWriter::new(&mut text);
    for (key, value) in &object {
        match value {
            JsonValue::Str(value) => writer.str(key, value),
            JsonValue::List(values) => writer.list(key, values.iter().map(|v| &v[..])),
            JsonValue::Other(_) => continue,
        };
    }
    writer.finish();
    let again = json::parse_object(&text).expect("Mongrel2-form JSON parses");
    let kept: Vec<_> = object
        .into_iter()
        .filter(|(_, v)| !matches!(v, JsonValue::Other(_)))
        .collect();
    assert_eq!(again, kept);
});
