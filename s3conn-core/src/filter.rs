//! Filters: which objects to read (bucket allow-list, key prefix/suffix) and which records to keep.

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::record::Record;

/// Which objects a connector reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ObjectFilter {
    /// Buckets allowed; empty means any bucket.
    pub buckets: Vec<String>,
    /// Key prefixes accepted; empty means any.
    pub key_prefixes: Vec<String>,
    /// Key suffixes accepted; empty means any.
    pub key_suffixes: Vec<String>,
}

/// Why an object is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectRejection {
    /// The bucket is not on the allow-list (never read: someone else may write to the queue).
    BucketNotAllowed,
    /// The key matches no configured prefix or suffix.
    KeyFiltered,
}

impl ObjectFilter {
    /// Whether to read `bucket`/`key`.
    pub fn check(&self, bucket: &str, key: &str) -> Result<(), ObjectRejection> {
        if !self.buckets.is_empty() && !self.buckets.iter().any(|b| b == bucket) {
            return Err(ObjectRejection::BucketNotAllowed);
        }
        if !self.key_prefixes.is_empty()
            && !self
                .key_prefixes
                .iter()
                .any(|p| key.starts_with(p.as_str()))
        {
            return Err(ObjectRejection::KeyFiltered);
        }
        if !self.key_suffixes.is_empty()
            && !self.key_suffixes.iter().any(|s| key.ends_with(s.as_str()))
        {
            return Err(ObjectRejection::KeyFiltered);
        }
        Ok(())
    }
}

/// Keep or drop the records a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterAction {
    /// Keep only records matching some `keep` rule.
    Keep,
    /// Drop records matching this rule.
    Drop,
}

/// One log filter as configured: a field of the event and one test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// The event field: a JSON pointer (`/userIdentity/type`) or a dotted path (`userIdentity.type`).
    pub field: String,
    /// Keep or drop.
    pub action: FilterAction,
    /// Matches when the field equals this (strings compare as text, other values as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    /// Matches when the field is a string starting with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Matches when the field is a string matching this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

/// A configuration error in a log filter.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FilterError {
    /// Not exactly one of `equals`, `prefix`, `regex`.
    #[error("log filter on '{0}' needs exactly one of equals, prefix or regex")]
    Test(String),
    /// The regex does not compile.
    #[error("log filter on '{field}': invalid regex: {message}")]
    Regex {
        /// The field.
        field: String,
        /// The compiler's message.
        message: String,
    },
}

#[derive(Debug, Clone)]
enum Test {
    Equals(Value),
    Prefix(String),
    Regex(Regex),
}

#[derive(Debug, Clone)]
struct Rule {
    pointer: String,
    test: Test,
}

impl Rule {
    fn matches(&self, event: &Value) -> bool {
        let Some(v) = event.pointer(&self.pointer) else {
            return false;
        };
        match (&self.test, v) {
            (Test::Equals(Value::String(want)), Value::String(got)) => want == got,
            (Test::Equals(Value::String(want)), other) => {
                want.as_str() == other.to_string().as_str()
            }
            (Test::Equals(want), got) => want == got,
            (Test::Prefix(p), Value::String(s)) => s.starts_with(p.as_str()),
            (Test::Regex(r), Value::String(s)) => r.is_match(s),
            _ => false,
        }
    }
}

/// The record filters of a connector (keep or drop events by field value).
#[derive(Debug, Clone, Default)]
pub struct RecordFilters {
    keep: Vec<Rule>,
    drop: Vec<Rule>,
}

fn to_pointer(field: &str) -> String {
    if field.starts_with('/') || field.is_empty() {
        field.to_owned()
    } else {
        field
            .split('.')
            .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
            .collect()
    }
}

impl RecordFilters {
    /// Compiles configured filters.
    pub fn new(specs: &[FilterSpec]) -> Result<Self, FilterError> {
        let mut out = RecordFilters::default();
        for spec in specs {
            let test = match (&spec.equals, &spec.prefix, &spec.regex) {
                (Some(v), None, None) => Test::Equals(v.clone()),
                (None, Some(p), None) => Test::Prefix(p.clone()),
                (None, None, Some(r)) => {
                    Test::Regex(Regex::new(r).map_err(|e| FilterError::Regex {
                        field: spec.field.clone(),
                        message: e.to_string(),
                    })?)
                }
                _ => return Err(FilterError::Test(spec.field.clone())),
            };
            let rule = Rule {
                pointer: to_pointer(&spec.field),
                test,
            };
            match spec.action {
                FilterAction::Keep => out.keep.push(rule),
                FilterAction::Drop => out.drop.push(rule),
            }
        }
        Ok(out)
    }

    /// Whether there are no filters.
    pub fn is_empty(&self) -> bool {
        self.keep.is_empty() && self.drop.is_empty()
    }

    /// Whether a record passes: some keep rule matches (when there are any) and no drop rule does.
    pub fn accepts(&self, record: &Record) -> bool {
        if self.is_empty() {
            return true;
        }
        let event = record.event_value();
        (self.keep.is_empty() || self.keep.iter().any(|r| r.matches(&event)))
            && !self.drop.iter().any(|r| r.matches(&event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_filter() {
        let f = ObjectFilter {
            buckets: vec!["a".into()],
            key_prefixes: vec!["AWSLogs/".into()],
            key_suffixes: vec![".gz".into(), ".json".into()],
        };
        assert_eq!(f.check("a", "AWSLogs/x.gz"), Ok(()));
        assert_eq!(
            f.check("b", "AWSLogs/x.gz"),
            Err(ObjectRejection::BucketNotAllowed)
        );
        assert_eq!(
            f.check("a", "other/x.gz"),
            Err(ObjectRejection::KeyFiltered)
        );
        assert_eq!(
            f.check("a", "AWSLogs/x.txt"),
            Err(ObjectRejection::KeyFiltered)
        );
        assert_eq!(ObjectFilter::default().check("z", "k"), Ok(()));
    }

    #[test]
    fn bad_specs_name_the_field() {
        let spec = |json: &str| serde_json::from_str::<FilterSpec>(json).unwrap();
        let e = RecordFilters::new(&[spec(r#"{"field":"x","action":"keep"}"#)]).unwrap_err();
        assert!(e.to_string().contains("'x'"));
        let e = RecordFilters::new(&[spec(r#"{"field":"y","action":"drop","regex":"("}"#)])
            .unwrap_err();
        assert!(e.to_string().contains("'y'"));
        assert_eq!(to_pointer("a.b/c"), "/a/b~1c");
    }
}
