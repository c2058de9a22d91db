//! Durations as configs write them: Go's `time.ParseDuration` syntax (`10m`,
//! `90s`, `1h30m`, `1.5h`, `10m0s`) or a bare number of seconds.
//!
//! ecspresso v2 read a bare number as nanoseconds (`timeout: 600` meant 600 ns,
//! so every wait timed out at once); ristretto follows ecspresso v3 and reads
//! it as seconds.

use std::time::Duration;

/// Parses a Go duration string, or a bare number of seconds.
///
/// # Errors
/// A message saying what is wrong, for the caller to place in a file.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return seconds_to_duration(seconds)
            .ok_or_else(|| format!("`{text}` is not a valid number of seconds"));
    }
    let invalid = || format!("`{text}` is not a duration");
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        if number_end == 0 {
            return Err(invalid());
        }
        let value: f64 = rest[..number_end].parse().map_err(|_| invalid())?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        total += value * scale;
        rest = &rest[unit_end..];
    }
    seconds_to_duration(total).ok_or_else(invalid)
}

fn seconds_to_duration(seconds: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(seconds).ok()
}

/// Formats a duration the way it is parsed back: `10m`, `1h30m`, `90s` → `1m30s`.
#[must_use]
pub fn format(duration: Duration) -> String {
    let total = duration.as_secs();
    let millis = duration.subsec_millis();
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 || millis > 0 || out.is_empty() {
        if millis > 0 {
            out.push_str(&format!("{seconds}.{millis:03}s"));
        } else {
            out.push_str(&format!("{seconds}s"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations_and_bare_seconds() {
        assert_eq!(parse("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("10m0s"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("600"), Ok(Duration::from_secs(600)));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in ["", "10", "ten minutes", "10x", "m", "-5", "1h-3m"] {
            if bad == "10" {
                continue;
            }
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn formats_round_trip() {
        for text in ["10m", "1h30m", "1m30s", "45s", "0s", "2h"] {
            assert_eq!(format(parse(text).expect("parses")), text);
        }
    }
}
