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
        let ms = self.0;
        let days = ms / 86_400_000;
        let of_day = (ms % 86_400_000) / 1000;
        let (year, month, day) = civil_from_days(days);
        write!(f, "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", of_day / 3600, (of_day / 60) % 60, of_day % 60)
    }
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`
/// algorithm, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
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
        if let Some((next, next_unit)) = UNITS.get(first + 1).filter(|(next, _)| *next >= 1000 || size == 1000) {
            if rest / next > 0 {
                write!(f, " {} {next_unit}", rest / next)?;
            }
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
