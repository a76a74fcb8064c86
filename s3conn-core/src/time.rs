//! Timestamp parsing shared by the sources: RFC 3339 and epoch numbers of any unit.

use serde_json::Value;

/// Year, month (1–12) and day (1–31) of the civil date (proleptic Gregorian, UTC) `days` after
/// 1970-01-01 (Howard Hinnant's `civil_from_days`); the inverse of the day count of a date.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // doy in 0..366 and mp in 0..12: both fit a u32.
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parses an RFC 3339 / ISO 8601 date-time into epoch milliseconds UTC.
///
/// Accepts `T`, `t` or a space between date and time, any fraction (truncated to milliseconds),
/// `Z`, `z`, `±HH:MM` or `±HHMM` offsets, and no zone at all (read as UTC, as some emulators write).
///
/// ```
/// assert_eq!(s3conn_core::time::parse_rfc3339("1970-01-01T00:00:01.5+01:00"), Some(-3_598_500));
/// ```
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let year = digits(b, 0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    if b.len() == 10 {
        return Some(days * 86_400_000);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let (second, mut i) = if b.get(16) == Some(&b':') {
        (digits(b, 17, 2)?, 19)
    } else {
        (0, 16)
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut millis = 0i64;
    if matches!(b.get(i), Some(b'.' | b',')) {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    let offset_min: i64 = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)?;
            let om = match b.len() - (i + 3) {
                0 => 0,
                3 if b[i + 3] == b':' => digits(b, i + 4, 2)?,
                2 => digits(b, i + 3, 2)?,
                _ => return None,
            };
            let total = i64::from(oh * 60 + om);
            if sign == b'+' {
                total
            } else {
                -total
            }
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_min * 60;
    Some(secs * 1000 + millis)
}

/// Converts an epoch number of unknown unit to milliseconds, telling the unit by magnitude.
///
/// Below 10^11 it is seconds, below 10^14 milliseconds, below 10^17 microseconds, else nanoseconds.
///
/// ```
/// use s3conn_core::time::epoch_to_ms;
/// assert_eq!(epoch_to_ms(1_625_677_521.137), Some(1_625_677_521_137));
/// assert_eq!(epoch_to_ms(1_625_677_521_162.0), Some(1_625_677_521_162));
/// ```
pub fn epoch_to_ms(n: f64) -> Option<i64> {
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    let ms = if n < 1e11 {
        n * 1000.0
    } else if n < 1e14 {
        n
    } else if n < 1e17 {
        n / 1000.0
    } else {
        n / 1_000_000.0
    };
    if ms > 253_402_300_799_999.0 {
        return None;
    }
    // Exact for integral inputs; rounds fractional seconds to the nearest millisecond.
    Some(ms.round() as i64)
}

/// Parses an epoch number written as a string (`"1625677521162"`, `"1651025950.0379999"`).
pub fn parse_epoch_str(s: &str) -> Option<i64> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    if let Some((int, frac)) = t.split_once('.') {
        // A second '.' makes it no number (found by fuzzing: "1714565000.1.5").
        if !frac.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let int: i64 = int.parse().ok()?;
        let ms = epoch_to_ms(int as f64)?;
        if int.checked_mul(1000) == Some(ms) && !frac.is_empty() {
            // Seconds with a fraction: keep the first three fraction digits exactly.
            let mut f = 0i64;
            for (i, c) in frac.bytes().take(3).enumerate() {
                f += i64::from(c - b'0') * [100, 10, 1][i];
            }
            return Some(ms + f);
        }
        return epoch_to_ms(t.parse().ok()?);
    }
    if t.len() > 20 {
        return None;
    }
    let n: u64 = t.parse().ok()?;
    integer_epoch_to_ms(n)
}

/// Converts an integer epoch of unknown unit to milliseconds, telling the unit by magnitude.
pub fn integer_epoch_to_ms(n: u64) -> Option<i64> {
    let ms = if n < 100_000_000_000 {
        n.checked_mul(1000)?
    } else if n < 100_000_000_000_000 {
        n
    } else if n < 100_000_000_000_000_000 {
        n / 1000
    } else {
        n / 1_000_000
    };
    if ms == 0 || ms > 253_402_300_799_999 {
        return None;
    }
    i64::try_from(ms).ok()
}

/// Reads a timestamp from a JSON value: an epoch number (any unit), a numeric string, or RFC 3339.
///
/// ```
/// use serde_json::json;
/// use s3conn_core::time::value_to_ms;
/// assert_eq!(value_to_ms(&json!("2021-10-02T10:17:44Z")), Some(1_633_169_864_000));
/// assert_eq!(value_to_ms(&json!(1_533_689_070_589u64)), Some(1_533_689_070_589));
/// ```
pub fn value_to_ms(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                integer_epoch_to_ms(u)
            } else {
                epoch_to_ms(n.as_f64()?)
            }
        }
        Value::String(s) => str_to_ms(s),
        _ => None,
    }
}

/// Converts a Windows FILETIME (100 ns intervals since 1601-01-01) to epoch milliseconds.
///
/// ```
/// assert_eq!(s3conn_core::time::filetime_to_ms(133_433_951_380_000_000), Some(1_698_921_538_000));
/// ```
pub fn filetime_to_ms(ft: u64) -> Option<i64> {
    const EPOCH_DIFF_MS: i64 = 11_644_473_600_000;
    let ms = i64::try_from(ft / 10_000).ok()? - EPOCH_DIFF_MS;
    (ms > 0).then_some(ms)
}

/// Reads a timestamp from a string: a numeric epoch string or RFC 3339.
pub fn str_to_ms(s: &str) -> Option<i64> {
    parse_epoch_str(s).or_else(|| parse_rfc3339(s))
}

/// Formats epoch milliseconds as RFC 3339 UTC with milliseconds (`2024-01-02T03:04:05.678Z`): the
/// inverse of [`parse_rfc3339`].
pub fn format_rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The wall-clock time now, in epoch milliseconds (0 before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_forms() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2021-10-02T10:17:44Z"),
            Some(1_633_169_864_000)
        );
        assert_eq!(
            parse_rfc3339("2021-10-02T10:17:44.123456789Z"),
            Some(1_633_169_864_123)
        );
        assert_eq!(
            parse_rfc3339("2021-10-02T12:17:44+02:00"),
            Some(1_633_169_864_000)
        );
        assert_eq!(
            parse_rfc3339("2021-10-02T05:17:44-0500"),
            Some(1_633_169_864_000)
        );
        assert_eq!(
            parse_rfc3339("2021-10-02 10:17:44.5"),
            Some(1_633_169_864_500)
        );
        assert_eq!(
            parse_rfc3339("2021-10-02T10:17:44"),
            Some(1_633_169_864_000)
        );
        assert_eq!(parse_rfc3339("2021-10-02T10:17"), Some(1_633_169_820_000));
        assert_eq!(parse_rfc3339("2021-10-02"), Some(1_633_132_800_000));
        assert_eq!(parse_rfc3339("2021-13-02T10:17:44Z"), None);
        assert_eq!(parse_rfc3339("2021-10-02T10:17:44Zjunk"), None);
        assert_eq!(parse_rfc3339("not a time"), None);
        assert_eq!(parse_rfc3339(""), None);
        assert_eq!(parse_rfc3339("2021-10-02T10:17:44."), None);
    }

    #[test]
    fn epoch_units() {
        let cases: [(&str, Option<i64>); 13] = [
            ("1625677521162", Some(1_625_677_521_162)),
            ("1625677521", Some(1_625_677_521_000)),
            ("1625677521.137", Some(1_625_677_521_137)),
            ("1651027750.0379999", Some(1_651_027_750_037)),
            ("1625677521162123", Some(1_625_677_521_162)),
            ("1625677521162123456", Some(1_625_677_521_162)),
            ("", None),
            ("12a", None),
            // Found by the `sources` fuzz target: a second '.' underflowed the fraction digits.
            ("1714565000.1.5", None),
            ("1714565000..5", None),
            // Also found by fuzzing: seconds times 1000 overflowed for a huge integer part.
            ("17145648004564800.100", Some(17_145_648_004_565)),
            ("99999999999999999999.5", None),
            ("99999999999999999999999", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_epoch_str(text), want, "{text:?}");
        }
        assert_eq!(str_to_ms("1714565000.1.5"), None);
        assert_eq!(
            value_to_ms(&serde_json::json!(1_625_677_521.5)),
            Some(1_625_677_521_500)
        );
        assert_eq!(value_to_ms(&serde_json::json!(null)), None);
        assert_eq!(value_to_ms(&serde_json::json!(-5)), None);
    }

    #[test]
    fn civil_dates_invert_the_day_count() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn format_round_trips() {
        for ms in [0, 1_633_169_864_123, 951_782_400_000, 4_102_444_800_000] {
            assert_eq!(parse_rfc3339(&format_rfc3339_ms(ms)), Some(ms));
        }
        assert_eq!(
            format_rfc3339_ms(1_633_169_864_123),
            "2021-10-02T10:17:44.123Z"
        );
    }
}
