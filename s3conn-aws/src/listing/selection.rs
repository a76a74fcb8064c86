//! [`Selection`]: which objects of a bucket a backfill reads — prefixes, a start key and a time
//! range (`--since`/`--until`: a `YYYY-MM-DD` date, inclusive, or an RFC 3339 time).

use serde::Serialize;

use super::layout::KeyDateLayout;
use super::ListingError;

const DAY_MS: i64 = 86_400_000;

/// One end of a time range, as given and as epoch milliseconds UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeBound {
    /// The text as given (recorded in checkpoints).
    pub text: String,
    /// The instant: the first millisecond of a `since` date, the last of an `until` date.
    pub ms: i64,
}

impl TimeBound {
    /// `--since`: a date means its first millisecond (UTC), an RFC 3339 time that instant.
    pub fn since(text: &str) -> Result<TimeBound, ListingError> {
        let (ms, _) = parse_time("--since", text)?;
        Ok(TimeBound {
            text: text.trim().to_owned(),
            ms,
        })
    }

    /// `--until`: a date means its last millisecond (inclusive), an RFC 3339 time that instant.
    pub fn until(text: &str) -> Result<TimeBound, ListingError> {
        let (ms, date_only) = parse_time("--until", text)?;
        Ok(TimeBound {
            text: text.trim().to_owned(),
            ms: if date_only { ms + DAY_MS - 1 } else { ms },
        })
    }

    /// The day (days since 1970-01-01, UTC) this instant falls in.
    pub fn day(&self) -> i64 {
        self.ms.div_euclid(DAY_MS)
    }
}

/// Parses a date or an RFC 3339 time; `true` when it was a bare date.
fn parse_time(flag: &str, text: &str) -> Result<(i64, bool), ListingError> {
    let t = text.trim();
    let bad = || {
        ListingError::InvalidSelection(format!(
            "{flag} '{text}' is neither a date (YYYY-MM-DD) nor an RFC 3339 time (2024-01-31T12:00:00Z)"
        ))
    };
    let ms = s3conn_core::time::parse_rfc3339(t).ok_or_else(bad)?;
    // The parser rolls 2024-02-31 over into March: the date must read back as written.
    let date = t.get(..10).ok_or_else(bad)?;
    let day = s3conn_core::time::parse_rfc3339(date).ok_or_else(bad)?;
    if civil(day.div_euclid(DAY_MS)).iso() != date {
        return Err(bad());
    }
    Ok((ms, t.len() == 10))
}

/// A civil date (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Civil {
    /// The year.
    pub year: i64,
    /// The month, 1–12.
    pub month: u32,
    /// The day of the month, 1–31.
    pub day: u32,
}

impl Civil {
    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The civil date of a day number (days since 1970-01-01).
pub fn civil(days: i64) -> Civil {
    let (year, month, day) = s3conn_core::time::civil_from_days(days);
    Civil { year, month, day }
}

/// The day number of a civil date, when it is a real date.
pub fn day_of(year: u32, month: u32, day: u32) -> Option<i64> {
    let text = format!("{year:04}-{month:02}-{day:02}");
    let ms = s3conn_core::time::parse_rfc3339(&text)?;
    let d = ms.div_euclid(DAY_MS);
    (civil(d).iso() == text).then_some(d)
}

/// What a backfill lists: a bucket, prefixes, a start key and a time range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// The bucket.
    pub bucket: String,
    /// Key prefixes, sorted, none inside another (`[""]`: the whole bucket).
    pub prefixes: Vec<String>,
    /// List only keys after this one.
    pub start_after: Option<String>,
    /// Objects from this time on (by key date where the layout has one, else by LastModified).
    pub since: Option<TimeBound>,
    /// Objects up to this time, inclusive.
    pub until: Option<TimeBound>,
    /// How a key carries its date (for pruning by `since`/`until`).
    pub key_date: KeyDateLayout,
    /// Keys per ListObjectsV2 page (1–1000; 1000 is S3's maximum and the default).
    #[serde(skip)]
    pub page_size: i32,
}

impl Selection {
    /// A validated selection: a bucket name, `since` not after `until`, prefixes de-duplicated.
    pub fn new(
        bucket: &str,
        prefixes: &[String],
        start_after: Option<String>,
        since: Option<TimeBound>,
        until: Option<TimeBound>,
        key_date: KeyDateLayout,
    ) -> Result<Selection, ListingError> {
        let bucket = bucket.trim();
        if bucket.is_empty() {
            return Err(ListingError::InvalidSelection(
                "--bucket must name a bucket".into(),
            ));
        }
        if let (Some(s), Some(u)) = (&since, &until) {
            if s.ms > u.ms {
                return Err(ListingError::InvalidSelection(format!(
                    "--since {} is after --until {}: nothing could be selected",
                    s.text, u.text
                )));
            }
        }
        let mut sorted: Vec<String> = prefixes.to_vec();
        if sorted.is_empty() {
            sorted.push(String::new());
        }
        sorted.sort();
        sorted.dedup();
        let mut kept: Vec<String> = Vec::new();
        for p in sorted {
            if kept.last().is_some_and(|k| p.starts_with(k.as_str())) {
                continue; // inside an earlier prefix: listed with it
            }
            kept.push(p);
        }
        Ok(Selection {
            bucket: bucket.to_owned(),
            prefixes: kept,
            start_after: start_after.filter(|s| !s.is_empty()),
            since,
            until,
            key_date,
            page_size: 1000,
        })
    }

    /// The same with `page_size` keys per ListObjectsV2 page (clamped to 1–1000).
    pub fn with_page_size(mut self, page_size: i32) -> Selection {
        self.page_size = page_size.clamp(1, 1000);
        self
    }

    /// Whether a time range is set.
    pub fn has_time_range(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Why an object with this LastModified is outside the range, if it is.
    pub fn last_modified_skip(&self, last_modified_ms: Option<i64>) -> Option<&'static str> {
        let lm = last_modified_ms?;
        if self.since.as_ref().is_some_and(|s| lm < s.ms) {
            return Some("last_modified_before_since");
        }
        if self.until.as_ref().is_some_and(|u| lm > u.ms) {
            return Some("last_modified_after_until");
        }
        None
    }

    /// Whether a key's day is inside the range (by day: a day that overlaps the range is in).
    pub fn day_in_range(&self, day: i64) -> bool {
        self.since.as_ref().is_none_or(|s| day >= s.day())
            && self.until.as_ref().is_none_or(|u| day <= u.day())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        let s = TimeBound::since("2024-03-01").unwrap();
        let u = TimeBound::until("2024-03-01").unwrap();
        assert_eq!(u.ms - s.ms, DAY_MS - 1);
        assert_eq!(s.day(), u.day());
        assert_eq!(civil(s.day()).iso(), "2024-03-01");
        let t = TimeBound::until("2024-03-01T12:00:00Z").unwrap();
        assert_eq!(t.ms, s.ms + DAY_MS / 2);
        for bad in ["2024-02-31", "yesterday", "2024-13-01", "", "2024/01/01"] {
            let e = TimeBound::since(bad).unwrap_err().to_string();
            assert!(e.contains("--since"), "{bad}: {e}");
        }
        assert_eq!(day_of(2024, 2, 29), Some(s.day() - 1));
        assert_eq!(day_of(2023, 2, 29), None);
        for d in [-1000, 0, 19_000, 20_000, 100_000] {
            let c = civil(d);
            assert_eq!(
                day_of(u32::try_from(c.year).unwrap_or(0), c.month, c.day),
                (c.year >= 0).then_some(d)
            );
        }
    }

    #[test]
    fn selection_is_validated_and_prefixes_merged() {
        let since = TimeBound::since("2024-03-02").ok();
        let until = TimeBound::until("2024-03-01").ok();
        let e = Selection::new("b", &[], None, since, until, KeyDateLayout::None).unwrap_err();
        assert!(e.to_string().contains("is after --until"), "{e}");
        assert!(Selection::new(" ", &[], None, None, None, KeyDateLayout::None).is_err());
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let s = Selection::new(
            "b",
            &p(&["b/", "a/x/", "a/", "b/"]),
            Some(String::new()),
            None,
            None,
            KeyDateLayout::None,
        )
        .unwrap();
        assert_eq!(s.prefixes, p(&["a/", "b/"]));
        assert_eq!(s.start_after, None);
        let all = Selection::new("b", &[], None, None, None, KeyDateLayout::None).unwrap();
        assert_eq!(all.prefixes, p(&[""]));
    }
}
