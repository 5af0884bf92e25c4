//! The encoder: canonical tnetstrings (no leading zeros, dict order as given), and the small
//! `write_*` helpers that build Mongrel2 frames without going through a [`Value`].

use super::Value;

/// Most decimal digits a `u64` has, for the stack buffer numbers are formatted into.
const U64_DIGITS: usize = 20;

/// Appends `LEN:bytes,`: a tnetstring string, which is also the netstring Mongrel2 uses for
/// bodies and reply id lists.
pub fn write_str(out: &mut Vec<u8>, s: &[u8]) {
    write_frame(out, s, b',');
}

/// Appends `LEN:digits#`, e.g. `4:1500#` for the credits of a `ctl` message.
pub fn write_int(out: &mut Vec<u8>, i: i64) {
    let mut buf = [0u8; U64_DIGITS + 1];
    let text = int_text(i, &mut buf);
    write_frame(out, text, b'#');
}

/// Appends `LEN:text^` with `text` in Rust's shortest round-trip form (`1.5`, `1e300`, `-0.0`,
/// `NaN`, `inf`). Python's `float()` reads every such text back exactly; Mongrel2's own Python
/// library writes `%f` (`1.500000`), which [`super::parse`] accepts too.
pub fn write_float(out: &mut Vec<u8>, f: f64) {
    write_frame(out, float_text(f).as_bytes(), b'^');
}

/// Appends `4:true!` or `5:false!`.
pub fn write_bool(out: &mut Vec<u8>, b: bool) {
    write_frame(out, bool_text(b), b'!');
}

/// Appends `0:~`.
pub fn write_null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0:~");
}

/// Appends `value` (see [`Value::encode`]).
pub(super) fn value(value: &Value<'_>, out: &mut Vec<u8>) {
    match value {
        Value::Str(s) => write_str(out, s),
        Value::Int(i) => write_int(out, *i),
        Value::Float(f) => write_float(out, *f),
        Value::Bool(b) => write_bool(out, *b),
        Value::Null => write_null(out),
        Value::List(items) => {
            write_len(out, items.iter().map(encoded_len).sum());
            for item in items {
                self::value(item, out);
            }
            out.push(b']');
        }
        Value::Dict(pairs) => {
            write_len(out, pairs.iter().map(pair_len).sum());
            for (key, item) in pairs {
                write_str(out, key);
                self::value(item, out);
            }
            out.push(b'}');
        }
    }
}

/// Bytes [`value`] appends. Containers sum their children, so encoding a value nested `d` deep
/// walks its leaves `d` times; parsed values are at most [`super::MAX_DEPTH`] deep by default.
pub(super) fn encoded_len(value: &Value<'_>) -> usize {
    match value {
        Value::Str(s) => frame_len(s.len()),
        Value::Int(i) => {
            let mut buf = [0u8; U64_DIGITS + 1];
            frame_len(int_text(*i, &mut buf).len())
        }
        Value::Float(f) => frame_len(float_text(*f).len()),
        Value::Bool(b) => frame_len(bool_text(*b).len()),
        Value::Null => frame_len(0),
        Value::List(items) => frame_len(items.iter().map(encoded_len).sum()),
        Value::Dict(pairs) => frame_len(pairs.iter().map(pair_len).sum()),
    }
}

/// Encoded size of one dict entry: the key as a string, then the value.
fn pair_len((key, value): &(&[u8], Value<'_>)) -> usize {
    frame_len(key.len()) + encoded_len(value)
}

/// Size of `LEN:` + data + tag for data of `data_len` bytes.
fn frame_len(data_len: usize) -> usize {
    let mut buf = [0u8; U64_DIGITS];
    decimal_text(data_len as u64, &mut buf).len() + 1 + data_len + 1
}

/// Appends `LEN:data tag`.
fn write_frame(out: &mut Vec<u8>, data: &[u8], tag: u8) {
    write_len(out, data.len());
    out.extend_from_slice(data);
    out.push(tag);
}

/// Appends `LEN:`.
fn write_len(out: &mut Vec<u8>, len: usize) {
    let mut buf = [0u8; U64_DIGITS];
    out.extend_from_slice(decimal_text(len as u64, &mut buf));
    out.push(b':');
}

/// `n` in decimal ASCII, written at the end of `buf`, without allocating.
fn decimal_text(mut n: u64, buf: &mut [u8; U64_DIGITS]) -> &[u8] {
    let mut start = U64_DIGITS;
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[start..]
}

/// `i` in decimal ASCII with a leading `-` when negative (`i64::MIN` included).
fn int_text(i: i64, buf: &mut [u8; U64_DIGITS + 1]) -> &[u8] {
    let mut digits = [0u8; U64_DIGITS];
    let text = decimal_text(i.unsigned_abs(), &mut digits);
    let mut len = 0;
    if i < 0 {
        buf[0] = b'-';
        len = 1;
    }
    buf[len..len + text.len()].copy_from_slice(text);
    &buf[..len + text.len()]
}

/// Shortest text that parses back to exactly `f` (Rust's `Debug` form).
fn float_text(f: f64) -> String {
    format!("{f:?}")
}

/// `true` or `false`.
fn bool_text(b: bool) -> &'static [u8] {
    if b {
        b"true"
    } else {
        b"false"
    }
}
