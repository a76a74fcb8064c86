//! [`KeyDateLayout`]: how keys carry their date, so that `--since`/`--until` list only the days in
//! range instead of the whole bucket.
//!
//! - `awslogs` (the default): `AWSLogs/<account>/<service>/<region>/YYYY/MM/DD/…`, and the
//!   organization trails' `AWSLogs/o-<org>/<account>/…`, found under each prefix.
//! - a template relative to each prefix: `*/` for each level to enumerate, then the date with
//!   `%Y`, `%m` and `%d` in that order (`%Y/%m/%d/`, `*/dt=%Y-%m-%d/`, `logs/%Y%m%d`).
//! - `none`: keys carry no date; `--since`/`--until` select by LastModified.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::selection::{civil, day_of};
use super::ListingError;

/// The date part of a key: `lead` `YYYY` `sep1` `MM` `sep2` `DD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    lead: String,
    sep1: String,
    sep2: String,
}

impl DateFormat {
    /// The text of a day as keys spell it (up to and including the day digits).
    pub fn format(&self, day: i64) -> String {
        let c = civil(day);
        format!(
            "{}{:04}{}{:02}{}{:02}",
            self.lead, c.year, self.sep1, c.month, self.sep2, c.day
        )
    }

    /// The day a key's remainder (the text after the date level's prefix) starts with.
    pub fn parse(&self, rest: &str) -> Option<i64> {
        let r = rest.strip_prefix(self.lead.as_str())?;
        let (year, r) = number(r, 4)?;
        let r = r.strip_prefix(self.sep1.as_str())?;
        let (month, r) = number(r, 2)?;
        let r = r.strip_prefix(self.sep2.as_str())?;
        let (day, _) = number(r, 2)?;
        day_of(year, month, day)
    }
}

fn number(s: &str, n: usize) -> Option<(u32, &str)> {
    let digits = s.get(..n)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, &s[n..]))
}

/// How to walk down to the date level under a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// A literal level that must come first (`AWSLogs/`), if any.
    pub root: Option<&'static str>,
    /// Levels to enumerate (with `Delimiter="/"` listings) before the date.
    pub wildcards: usize,
    /// Whether the first enumerated level may be an organization id (`o-…`) with the accounts
    /// one level further down.
    pub org_level: bool,
    /// The date.
    pub date: DateFormat,
}

/// How keys carry their date (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum KeyDateLayout {
    /// `AWSLogs/<account>/<service>/<region>/YYYY/MM/DD/` (and organization trails).
    #[default]
    AwsLogs,
    /// A template relative to each prefix (`*/%Y/%m/%d/`).
    Template(String, Plan),
    /// Keys carry no date.
    None,
}

impl KeyDateLayout {
    /// The walk to the date level, unless keys carry no date.
    pub fn plan(&self) -> Option<Plan> {
        match self {
            KeyDateLayout::AwsLogs => Some(Plan {
                root: Some("AWSLogs/"),
                wildcards: 3,
                org_level: true,
                date: DateFormat {
                    lead: String::new(),
                    sep1: "/".into(),
                    sep2: "/".into(),
                },
            }),
            KeyDateLayout::Template(_, plan) => Some(plan.clone()),
            KeyDateLayout::None => None,
        }
    }
}

impl fmt::Display for KeyDateLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyDateLayout::AwsLogs => f.write_str("awslogs"),
            KeyDateLayout::Template(text, _) => f.write_str(text),
            KeyDateLayout::None => f.write_str("none"),
        }
    }
}

impl Serialize for KeyDateLayout {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromStr for KeyDateLayout {
    type Err = ListingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "awslogs" | "AWSLogs" => return Ok(KeyDateLayout::AwsLogs),
            "none" => return Ok(KeyDateLayout::None),
            _ => {}
        }
        let bad = |why: &str| {
            ListingError::InvalidSelection(format!(
                "--key-date '{s}': {why} (expected 'awslogs', 'none' or a template such as '*/%Y/%m/%d/')"
            ))
        };
        let mut rest = s.trim();
        let mut wildcards = 0;
        while let Some(r) = rest.strip_prefix("*/") {
            wildcards += 1;
            rest = r;
        }
        let y = rest.find("%Y").ok_or_else(|| bad("no %Y"))?;
        let m = rest.find("%m").ok_or_else(|| bad("no %m"))?;
        let d = rest.find("%d").ok_or_else(|| bad("no %d"))?;
        if !(y < m && m < d) {
            return Err(bad("%Y, %m and %d must come in that order"));
        }
        let (lead, sep1, sep2) = (&rest[..y], &rest[y + 2..m], &rest[m + 2..d]);
        let tail = &rest[d + 2..];
        if [lead, sep1, sep2, tail]
            .iter()
            .any(|p| p.contains('%') || p.contains('*'))
        {
            return Err(bad(
                "only leading '*/' levels and one %Y, %m, %d are understood",
            ));
        }
        Ok(KeyDateLayout::Template(
            s.trim().to_owned(),
            Plan {
                root: None,
                wildcards,
                org_level: false,
                date: DateFormat {
                    lead: lead.into(),
                    sep1: sep1.into(),
                    sep2: sep2.into(),
                },
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_format_and_read_back() {
        let l: KeyDateLayout = "*/dt=%Y-%m-%d/".parse().unwrap();
        let plan = l.plan().unwrap();
        assert_eq!(plan.wildcards, 1);
        let day = day_of(2024, 2, 29).unwrap();
        assert_eq!(plan.date.format(day), "dt=2024-02-29");
        assert_eq!(plan.date.parse("dt=2024-02-29/x.gz"), Some(day));
        assert_eq!(plan.date.parse("dt=2024-02-30/x.gz"), None);
        assert_eq!(plan.date.parse("other/x.gz"), None);
        let aws = KeyDateLayout::AwsLogs.plan().unwrap();
        assert_eq!(aws.date.format(day), "2024/02/29");
        assert_eq!(aws.date.parse("2024/02/29/1_CloudTrail.json.gz"), Some(day));
        assert_eq!(l.to_string(), "*/dt=%Y-%m-%d/");
        for bad in ["%d/%m/%Y", "x/*/%Y/%m/%d", "%Y/%m", "%Y/%m/%d/%H"] {
            assert!(bad.parse::<KeyDateLayout>().is_err(), "{bad}");
        }
        assert_eq!(
            "none".parse::<KeyDateLayout>().unwrap(),
            KeyDateLayout::None
        );
    }
}
