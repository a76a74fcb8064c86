//! Index names from a template: `{index}` (the record's index as a valid index name, `AWS Events`
//! → `aws-events`), `{msg_class}`, `{source}`, and dates of the record's time such as
//! `{yyyy.MM.dd}` (letters `yyyy`, `MM`, `dd`, `HH`; other characters are copied).

use s3conn_core::Record;

use crate::error::{invalid, BuildError};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Index,
    MsgClass,
    Source,
    Date(String),
}

/// A parsed index template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexTemplate {
    segments: Vec<Segment>,
}

impl Default for IndexTemplate {
    fn default() -> Self {
        IndexTemplate {
            segments: vec![Segment::Index],
        }
    }
}

impl IndexTemplate {
    /// Parses `template`; literal text must already be a valid index name part (lowercase).
    pub fn parse(template: &str) -> Result<Self, BuildError> {
        let bad = |why: String| invalid("index", format!("{template:?}: {why}"));
        let mut segments = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest
                        .find('}')
                        .ok_or_else(|| bad("an unclosed `{`".into()))?;
                    let name = &rest[1..end];
                    segments.push(match name {
                        "index" => Segment::Index,
                        "msg_class" => Segment::MsgClass,
                        "source" => Segment::Source,
                        d if !d.is_empty()
                            && d.chars().all(|c| "yMdH.-_".contains(c))
                            && d.chars().any(|c| "yMdH".contains(c)) =>
                        {
                            Segment::Date(d.to_owned())
                        }
                        other => return Err(bad(format!(
                            "unknown placeholder {{{other}}} (use {{index}}, {{msg_class}}, {{source}} or a date such as {{yyyy.MM.dd}})"
                        ))),
                    });
                    rest = &rest[end + 1..];
                }
                found => {
                    let end = found.unwrap_or(rest.len());
                    let text = &rest[..end];
                    if let Some(c) = text.chars().find(|&c| !valid_char(c)) {
                        return Err(bad(format!("{c:?} is not allowed in an index name")));
                    }
                    segments.push(Segment::Text(text.to_owned()));
                    rest = &rest[end..];
                }
            }
        }
        if segments.is_empty() {
            return Err(bad("is empty".into()));
        }
        Ok(IndexTemplate { segments })
    }

    /// The index name for `record`.
    pub fn render(&self, record: &Record) -> String {
        let mut out = String::new();
        for s in &self.segments {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Index => out.push_str(&index_name(&record.source.index)),
                Segment::MsgClass => out.push_str(&index_name(&record.source.msg_class)),
                Segment::Source => out.push_str(&index_name(&record.source.id)),
                Segment::Date(f) => format_date(&mut out, f, record.timestamp_ms),
            }
        }
        out
    }
}

fn valid_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.+".contains(c)
}

/// `s` as a valid Elasticsearch/Splunk index name: lowercase, runs of other characters as one
/// `-`, no leading `-`, `_` or `+`; `s3conn` when nothing is left.
pub fn index_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if valid_char(c) {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out
        .trim_start_matches(['-', '_', '+', '.'])
        .trim_end_matches('-');
    if trimmed.is_empty() {
        "s3conn".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Writes `ms` (UTC) in `format` (`yyyy`, `MM`, `dd`, `HH`; other characters copied).
fn format_date(out: &mut String, format: &str, ms: i64) {
    let (y, m, d, h) = civil(ms);
    let mut rest = format;
    while !rest.is_empty() {
        let (text, len) = if rest.starts_with("yyyy") {
            (format!("{y:04}"), 4)
        } else if rest.starts_with("MM") {
            (format!("{m:02}"), 2)
        } else if rest.starts_with("dd") {
            (format!("{d:02}"), 2)
        } else if rest.starts_with("HH") {
            (format!("{h:02}"), 2)
        } else {
            let c = rest.chars().next().map_or(1, char::len_utf8);
            (rest[..c].to_owned(), c)
        };
        out.push_str(&text);
        rest = &rest[len..];
    }
}

/// Year, month, day and hour (UTC) of epoch milliseconds.
pub(crate) fn civil(ms: i64) -> (i64, u32, u32, u32) {
    let days = ms.div_euclid(86_400_000);
    let hour = (ms.rem_euclid(86_400_000) / 3_600_000) as u32;
    let (y, m, d) = s3conn_core::time::civil_from_days(days);
    (y, m, d, hour)
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3conn_core::testing::sample_records;

    #[test]
    fn index_names_are_valid() {
        assert_eq!(index_name("AWS Events"), "aws-events");
        assert_eq!(index_name("Syslog"), "syslog");
        assert_eq!(index_name("_Weird / Name*"), "weird-name");
        assert_eq!(index_name("***"), "s3conn");
    }

    #[test]
    fn templates_render_index_and_date() {
        let mut r = sample_records("t", 1).remove(0);
        r.timestamp_ms = 1_764_460_800_000 + 13 * 3_600_000; // 2025-11-30T13:00Z
        let t = IndexTemplate::parse("s3conn-{index}-{yyyy.MM.dd}").unwrap_or_default();
        assert_eq!(t.render(&r), "s3conn-syslog-2025.11.30");
        let t = IndexTemplate::parse("{msg_class}_{yyyyMMddHH}").unwrap_or_default();
        assert_eq!(t.render(&r), "test_log_2025113013");
        assert_eq!(IndexTemplate::default().render(&r), "syslog");
        assert!(IndexTemplate::parse("Logs-{index}").is_err());
        assert!(IndexTemplate::parse("x-{nope}").is_err());
        assert!(IndexTemplate::parse("x-{index").is_err());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0));
        assert_eq!(civil(951_782_400_000), (2000, 2, 29, 0));
        assert_eq!(civil(-1), (1969, 12, 31, 23));
    }
}
