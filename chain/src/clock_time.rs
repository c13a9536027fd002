//! Times as the chain keeps them (milliseconds since the Unix epoch, Sui's `Clock`) and spans of
//! them, shown to people as dates and durations rather than raw milliseconds.

use std::fmt;

/// A moment on the chain's clock: milliseconds since the Unix epoch. Displays as a UTC date,
/// `2026-12-03 10:15:00 UTC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ClockTime(pub u64);

impl ClockTime {
    /// The moment `ms` milliseconds after the Unix epoch.
    pub fn from_ms(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_ms(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::Datelike;
        match i64::try_from(self.0).ok().and_then(chrono::DateTime::from_timestamp_millis) {
            // The year by hand: chrono's `%Y` signs years past 9999.
            Some(t) => write!(f, "{:04}-{}", t.year(), t.format("%m-%d %H:%M:%S UTC")),
            // Past the calendar's last year (262143): no date to show, only the count.
            None => write!(f, "{} ms after 1970-01-01 UTC", self.0),
        }
    }
}

/// A span of time in milliseconds, shown in its two largest units: `1 h 30 min`, `4 s`,
/// `250 ms`, `3 d 2 h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Span(pub u64);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 5] = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s"), (1, "ms")];
        let ms = self.0;
        let Some(first) = UNITS.iter().position(|(size, _)| ms >= *size) else {
            return write!(f, "0 s");
        };
        let (size, unit) = UNITS[first];
        write!(f, "{} {unit}", ms / size)?;
        let rest = ms % size;
        // The second unit only when it is not milliseconds under seconds (noise in a duration).
        if let Some((next, next_unit)) = UNITS.get(first + 1).filter(|(next, _)| *next >= 1000 || size == 1000)
            && rest / next > 0
        {
            write!(f, " {} {next_unit}", rest / next)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_read_as_utc_dates() {
        assert_eq!(ClockTime(0).to_string(), "1970-01-01 00:00:00 UTC");
        // 2026-12-03 10:15:00 UTC.
        assert_eq!(ClockTime(1_796_292_900_000).to_string(), "2026-12-03 10:15:00 UTC");
        // A leap day and the last second of a century year that is a leap year.
        assert_eq!(ClockTime(951_782_400_000).to_string(), "2000-02-29 00:00:00 UTC");
        assert_eq!(ClockTime(978_307_199_999).to_string(), "2000-12-31 23:59:59 UTC");
        // Five-digit years read like the others; past the calendar only the count is left.
        assert_eq!(ClockTime(253_402_300_800_000).to_string(), "10000-01-01 00:00:00 UTC");
        assert_eq!(ClockTime(u64::MAX).to_string(), "18446744073709551615 ms after 1970-01-01 UTC");
    }

    #[test]
    fn spans_read_in_their_two_largest_units() {
        assert_eq!(Span(0).to_string(), "0 s");
        assert_eq!(Span(250).to_string(), "250 ms");
        assert_eq!(Span(4_000).to_string(), "4 s");
        assert_eq!(Span(4_250).to_string(), "4 s 250 ms");
        assert_eq!(Span(5_400_000).to_string(), "1 h 30 min");
        assert_eq!(Span(3_600_000).to_string(), "1 h");
        assert_eq!(Span(266_400_000).to_string(), "3 d 2 h");
        assert_eq!(Span(61_500).to_string(), "1 min 1 s");
    }
}
