//! Durations and byte sizes as people write them in config files: `"250ms"`, `"30s"`, `"2m"`, `"1h"`;
//! `4096`, `"4096"`, `"16KiB"`, `"10MiB"`. Parsing returns a short reason; the caller adds the field.

use std::time::Duration;

use super::limits::MAX_DURATION;

/// Most digits accepted in a number, so it fits a `u64` before any unit is applied.
const MAX_DIGITS: usize = 15;

/// Parses `<digits><unit>` with unit `ms`, `s`, `m` or `h`; at most [`MAX_DURATION`].
pub(crate) fn parse_duration(text: &str) -> Result<Duration, &'static str> {
    let (number, unit) = split_number(text)?;
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60 * 1000,
        "h" => 60 * 60 * 1000,
        "" => return Err("missing unit (ms, s, m or h)"),
        _ => return Err("unknown unit (expected ms, s, m or h)"),
    };
    let millis = number
        .checked_mul(millis_per_unit)
        .ok_or("longer than the 24h maximum")?;
    let duration = Duration::from_millis(millis);
    if duration > MAX_DURATION {
        return Err("longer than the 24h maximum");
    }
    Ok(duration)
}

/// Parses `<digits>[unit]` with unit `B`, `KiB`, `MiB` or `GiB` (none = bytes).
pub(crate) fn parse_size(text: &str) -> Result<u64, &'static str> {
    let (number, unit) = split_number(text)?;
    let multiplier: u64 = match unit {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return Err("unknown unit (expected B, KiB, MiB or GiB)"),
    };
    number.checked_mul(multiplier).ok_or("too large")
}

/// Splits leading ASCII digits from the unit that follows them.
fn split_number(text: &str) -> Result<(u64, &str), &'static str> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err("must start with a number");
    }
    if digits > MAX_DIGITS {
        return Err("number has too many digits");
    }
    let (number, unit) = text.split_at(digits);
    let number = number.parse().map_err(|_| "number has too many digits")?;
    Ok((number, unit))
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, parse_size};
    use std::time::Duration;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
    }

    #[test]
    fn bad_durations_say_why() {
        assert_eq!(parse_duration("30"), Err("missing unit (ms, s, m or h)"));
        assert_eq!(
            parse_duration("1d"),
            Err("unknown unit (expected ms, s, m or h)")
        );
        assert_eq!(parse_duration("s"), Err("must start with a number"));
        assert_eq!(parse_duration("-1s"), Err("must start with a number"));
        assert_eq!(parse_duration(" 1s"), Err("must start with a number"));
        assert_eq!(
            parse_duration("1.5s"),
            Err("unknown unit (expected ms, s, m or h)")
        );
        assert_eq!(parse_duration("25h"), Err("longer than the 24h maximum"));
        assert_eq!(
            parse_duration("999999999999999h"),
            Err("longer than the 24h maximum")
        );
        assert_eq!(
            parse_duration("9999999999999999s"),
            Err("number has too many digits")
        );
    }

    #[test]
    fn sizes_with_and_without_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4096B"), Ok(4096));
        assert_eq!(parse_size("16KiB"), Ok(16 * 1024));
        assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(
            parse_size("10MB"),
            Err("unknown unit (expected B, KiB, MiB or GiB)")
        );
        assert_eq!(parse_size("999999999999999GiB"), Err("too large"));
        assert_eq!(parse_size(""), Err("must start with a number"));
    }
}
