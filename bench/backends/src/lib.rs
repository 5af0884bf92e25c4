//! Shared pieces of the benchmark backends: the fixed response body and
//! command-line helpers. Every backend answers the same 13 bytes so that every
//! benchmarked path (Scale0 with a handler or a native worker, Mongrel2, nginx,
//! bare hyper) returns the same response body and differs only in what sits in
//! front of it.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::fmt;
use std::str::FromStr;

/// The response body every backend sends: 13 bytes, as in the hyper
/// hello-world reference numbers (docs/benchmarks.md).
pub const BODY: &[u8] = b"Hello, World!";

/// Why the command line was rejected.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError {
    /// What was wrong, naming the argument at fault.
    pub message: String,
    /// The usage line of the program.
    pub usage: &'static str,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\nusage: {}", self.message, self.usage)
    }
}

impl std::error::Error for UsageError {}

/// Returns exactly `N` positional arguments (after the program name), or a
/// usage error saying how many were given. Optional trailing arguments beyond
/// `required` take the defaults in `defaults` (which has `N - required` items).
pub fn positional<const N: usize>(
    args: impl IntoIterator<Item = String>,
    required: usize,
    defaults: &[&str],
    usage: &'static str,
) -> Result<[String; N], UsageError> {
    let given: Vec<String> = args.into_iter().skip(1).collect();
    if given.len() < required || given.len() > N || required + defaults.len() != N {
        return Err(UsageError {
            message: format!("expected {required} to {N} arguments, got {}", given.len()),
            usage,
        });
    }
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = match given.get(i) {
            Some(value) => value.clone(),
            None => defaults
                .get(i - required)
                .map(|d| (*d).to_owned())
                .unwrap_or_default(),
        };
    }
    Ok(out)
}

/// Parses the positional argument `name` (its text in `value`) as a number, or a usage error
/// naming the argument and the text that did not parse.
pub fn number<T: FromStr>(name: &str, value: &str, usage: &'static str) -> Result<T, UsageError> {
    value.parse().map_err(|_| UsageError {
        message: format!("{name}: {value:?} is not a valid number"),
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(items: &[&str]) -> Vec<String> {
        std::iter::once("prog")
            .chain(items.iter().copied())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn missing_optional_arguments_take_their_defaults() {
        let got: [String; 2] = positional(argv(&["127.0.0.1:1"]), 1, &["1"], "u").unwrap();
        assert_eq!(got, ["127.0.0.1:1".to_owned(), "1".to_owned()]);
    }

    #[test]
    fn given_arguments_override_defaults() {
        let got: [String; 2] = positional(argv(&["a", "4"]), 1, &["1"], "u").unwrap();
        assert_eq!(got, ["a".to_owned(), "4".to_owned()]);
    }

    #[test]
    fn too_few_or_too_many_arguments_are_usage_errors() {
        let few = positional::<2>(argv(&[]), 1, &["1"], "u").unwrap_err();
        assert_eq!(few.message, "expected 1 to 2 arguments, got 0");
        let many = positional::<2>(argv(&["a", "b", "c"]), 1, &["1"], "u").unwrap_err();
        assert_eq!(many.message, "expected 1 to 2 arguments, got 3");
    }

    #[test]
    fn numbers_parse_and_bad_ones_name_the_argument() {
        assert_eq!(number::<u32>("CAPACITY", "64", "u").unwrap(), 64);
        let bad = number::<u32>("CAPACITY", "-1", "u").unwrap_err();
        assert_eq!(bad.message, "CAPACITY: \"-1\" is not a valid number");
    }

    #[test]
    fn the_body_is_thirteen_bytes() {
        assert_eq!(BODY.len(), 13);
    }
}
