//! Wall-clock dates from Unix milliseconds at a fixed UTC offset, for the two places a
//! seed speaks in local time: S3's `time_stamp` (`yyyyMMddHHmmss`, Beijing time) and
//! S4's "one withdrawal per calendar month" (SPEC 3.3, in the configured zone).
//!
//! Decision: zones are a small table of fixed offsets, not a tz database. Every zone in
//! the table has had no daylight saving time since 1991 (China, India, Japan, Korea,
//! Singapore, Hong Kong, UTC), so a fixed offset is exact for them; a zone not in the
//! table is refused by name rather than guessed. The caller passes `now` (no clock here).
//!
//! The date arithmetic is Howard Hinnant's `civil_from_days` (proleptic Gregorian).

/// Zones Kassa accepts, with their fixed offsets in minutes east of UTC.
const ZONES: &[(&str, i32)] = &[
    ("Asia/Shanghai", 480),
    ("Asia/Chongqing", 480),
    ("Asia/Hong_Kong", 480),
    ("Asia/Taipei", 480),
    ("Asia/Singapore", 480),
    ("Asia/Kolkata", 330),
    ("Asia/Calcutta", 330),
    ("Asia/Tokyo", 540),
    ("Asia/Seoul", 540),
    ("UTC", 0),
    ("Etc/UTC", 0),
];

/// Beijing time, the S3 platform's clock.
pub const CHINA: FixedZone = FixedZone {
    offset_minutes: 480,
};

/// UTC itself.
pub const UTC: FixedZone = FixedZone { offset_minutes: 0 };

/// A zone with a constant offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedZone {
    pub offset_minutes: i32,
}

impl FixedZone {
    /// The zone for an IANA name in [`ZONES`]; `None` for any other name.
    #[must_use]
    pub fn named(name: &str) -> Option<Self> {
        ZONES
            .iter()
            .find(|(n, _)| *n == name.trim())
            .map(|&(_, offset_minutes)| Self { offset_minutes })
    }

    /// The names [`Self::named`] accepts, for error messages.
    #[must_use]
    pub fn names() -> String {
        ZONES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    }

    /// The local date and time of `unix_ms` in this zone.
    #[must_use]
    pub fn civil(self, unix_ms: u64) -> Civil {
        let secs = i64::try_from(unix_ms / 1000).unwrap_or(i64::MAX / 2)
            + i64::from(self.offset_minutes) * 60;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: u8::try_from(rem / 3600).unwrap_or(0),
            minute: u8::try_from(rem % 3600 / 60).unwrap_or(0),
            second: u8::try_from(rem % 60).unwrap_or(0),
        }
    }
}

/// A local calendar date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl Civil {
    /// `yyyyMMddHHmmss` (S3 `time_stamp`).
    #[must_use]
    pub fn compact(&self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `yyyy-MM-ddTHH:mm:ss.SSSZ` for a UTC civil time (S4's `createdAt`), with the
    /// milliseconds the caller kept.
    #[must_use]
    pub fn iso_utc(&self, millis: u64) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            millis % 1000
        )
    }

    /// `yyyy-MM`, the key of a calendar month.
    #[must_use]
    pub fn month_key(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// Days since 1970-01-01 → (year, month 1–12, day 1–31).
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        u8::try_from(m).unwrap_or(1),
        u8::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // 2018-03-29 09:01:36 UTC is the seed's example 20180329170136 in Beijing.
        assert_eq!(CHINA.civil(1_522_314_096_000).compact(), "20180329170136");
        assert_eq!(CHINA.civil(0).compact(), "19700101080000");
        // Leap day, and the month boundary seen from two zones.
        let utc = FixedZone::named("UTC").unwrap();
        assert_eq!(utc.civil(1_709_164_800_000).compact(), "20240229000000");
        assert_eq!(
            utc.civil(1_466_657_198_190).iso_utc(190),
            "2016-06-23T04:46:38.190Z"
        );
        // 2026-11-30 16:30 UTC is already December in Shanghai, still November in UTC.
        let t = 1_796_056_200_000;
        assert_eq!(utc.civil(t).month_key(), "2026-11");
        assert_eq!(CHINA.civil(t).month_key(), "2026-12");
        let india = FixedZone::named("Asia/Kolkata").unwrap();
        assert_eq!(india.civil(t).compact(), "20261130220000");
    }

    #[test]
    fn unknown_zone_is_refused() {
        assert_eq!(FixedZone::named("Europe/Berlin"), None);
        assert!(FixedZone::names().contains("Asia/Shanghai"));
    }

    #[test]
    fn agrees_with_day_counting() {
        // Every day start over 1970..2100 increments the date by exactly one day.
        let utc = FixedZone { offset_minutes: 0 };
        let mut prev = utc.civil(0);
        for day in 1..=47_482_u64 {
            let c = utc.civil(day * 86_400_000);
            let next_day = c.day == prev.day + 1 && c.month == prev.month;
            let next_month = c.day == 1 && (c.month == prev.month + 1 || c.month == 1);
            assert!(next_day || next_month, "{prev:?} -> {c:?}");
            prev = c;
        }
        assert_eq!(prev.compact(), "21000101000000");
    }
}
