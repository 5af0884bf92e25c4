//! Extended (`X`) replies: a tnetstring `[key, value]` instead of bytes for the client
//! (docs/mongrel2-protocol.md §4.7). Key `ctl` controls the connection itself; any other key names
//! an xrequest plugin, which Mongrel2 answers by dropping the connection when none is loaded.

use super::{push_decimal, write_head, Error};
use crate::tnetstring::{self, Value};

/// The body of an `X` reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Extended<'a> {
    /// `["ctl", {...}]`.
    Ctl(Ctl),
    /// Any other key, for a plugin; the value is kept as parsed.
    Other {
        /// The key string.
        key: &'a [u8],
        /// The value, any tnetstring type.
        value: Value<'a>,
    },
}

/// A `ctl` command; any combination of the three may be set in one message.
///
/// Mongrel2 tests `keep-alive` and `cancel` for presence only (`"cancel": false` still cancels),
/// so a parsed `true` here means the key was present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ctl {
    /// `keep-alive`: refresh the connection's idle timer; writes nothing to the client.
    pub keep_alive: bool,
    /// `credits`: grant this many more bytes of a streamed upload (§4.4).
    pub credits: Option<i64>,
    /// `cancel`: drop the client connection at once, without a disconnect notice.
    pub cancel: bool,
}

/// Dict keys of a `ctl` value.
const KEEP_ALIVE: &[u8] = b"keep-alive";
const CREDITS: &[u8] = b"credits";
const CANCEL: &[u8] = b"cancel";
/// The key of connection-control messages.
const CTL: &[u8] = b"ctl";

/// Parses the body of an `X` reply: exactly one tnetstring list `[key-string, value]`.
pub(super) fn parse_body(body: &[u8]) -> Result<Extended<'_>, Error> {
    let (value, rest) = tnetstring::parse(body).map_err(Error::ExtendedBody)?;
    if !rest.is_empty() {
        return Err(Error::ExtendedTrailing { count: rest.len() });
    }
    let items = match value {
        Value::List(items) => items,
        other => {
            return Err(Error::ExtendedShape {
                found: other.type_name().to_string(),
            })
        }
    };
    let [key, value]: [Value<'_>; 2] =
        items
            .try_into()
            .map_err(|items: Vec<Value<'_>>| Error::ExtendedShape {
                found: format!("list of {}", items.len()),
            })?;
    let key = match key {
        Value::Str(key) => key,
        other => {
            return Err(Error::ExtendedKey {
                found: other.type_name(),
            })
        }
    };
    if key == CTL {
        ctl(&value).map(Extended::Ctl)
    } else {
        Ok(Extended::Other { key, value })
    }
}

/// Reads a `ctl` dict; keys other than the three known ones are ignored, and for repeated keys
/// the first one counts.
fn ctl(value: &Value<'_>) -> Result<Ctl, Error> {
    if value.as_dict().is_none() {
        return Err(Error::CtlNotDict {
            found: value.type_name(),
        });
    }
    let credits = match value.get(CREDITS) {
        None => None,
        Some(Value::Int(n)) => Some(*n),
        Some(other) => {
            return Err(Error::CreditsNotInteger {
                found: other.type_name(),
            })
        }
    };
    Ok(Ctl {
        keep_alive: value.get(KEEP_ALIVE).is_some(),
        credits,
        cancel: value.get(CANCEL).is_some(),
    })
}

/// Appends an `X` reply `UUID LEN:X ids, LEN:KEY,VALUE]`: the id list as in
/// [`super::encode`], then the list `[key, value]` as a tnetstring.
pub fn encode_extended(uuid: &[u8], ids: &[u64], key: &[u8], value: &Value<'_>, out: &mut Vec<u8>) {
    write_head(uuid, true, ids, out);
    let key_len = Value::Str(key).encoded_len();
    let list_len = key_len + value.encoded_len();
    push_decimal(out, list_len as u64);
    out.push(b':');
    tnetstring::write_str(out, key);
    value.encode(out);
    out.push(b']');
}

/// Appends a `ctl` reply, its dict keys in the order `keep-alive`, `credits`, `cancel`, with
/// `true` for the flags: `UUID 4:X 20, 31:3:ctl,21:10:keep-alive,4:true!}]` as captured.
pub fn encode_ctl(uuid: &[u8], ids: &[u64], ctl: &Ctl, out: &mut Vec<u8>) {
    let mut pairs = Vec::with_capacity(3);
    if ctl.keep_alive {
        pairs.push((KEEP_ALIVE, Value::Bool(true)));
    }
    if let Some(credits) = ctl.credits {
        pairs.push((CREDITS, Value::Int(credits)));
    }
    if ctl.cancel {
        pairs.push((CANCEL, Value::Bool(true)));
    }
    encode_extended(uuid, ids, CTL, &Value::Dict(pairs), out);
}
