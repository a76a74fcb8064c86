//! The spec document a declarative source is loaded from, as written in TOML or JSON.

use s3conn_core::Outcome;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// The document a declarative source is loaded from.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Registry id (lower-case letters, digits, `-`, `_`, `.`).
    pub id: String,
    /// Name shown to people.
    pub display_name: String,
    /// Data-lake index (`Syslog`, `AWS Events`, …).
    pub index: String,
    /// The records' `msg_class`.
    pub msg_class: String,
    /// `msg_origin.vendor`.
    pub vendor: String,
    /// Object fields whose arrays hold the events.
    #[serde(default)]
    pub expand_fields: Vec<String>,
    /// Substrings of object keys to skip (e.g. digest files).
    #[serde(default)]
    pub skip_keys: Vec<String>,
    /// Where the event time is and how it is written.
    pub timestamp: TimestampSpec,
    /// Pointers for the common fields.
    #[serde(default)]
    pub fields: FieldsSpec,
    /// Outcome rules, tried in order.
    #[serde(default)]
    pub outcome: Vec<OutcomeRule>,
    /// The text format of the objects (absent: JSON).
    #[serde(default)]
    pub format: Option<super::text::TextSpec>,
}

/// Where the event time is and how it is written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimestampSpec {
    /// JSON pointers (or bare top-level keys), first usable wins.
    pub fields: Vec<String>,
    /// Formats tried on each field, in order (default `["auto"]`).
    #[serde(default = "default_formats")]
    pub formats: Vec<TimeFormat>,
}

fn default_formats() -> Vec<TimeFormat> {
    vec![TimeFormat::Auto]
}

/// How a time value is written.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// RFC 3339, or an epoch number or numeric string of any unit (told apart by magnitude).
    Auto,
    /// RFC 3339 / ISO 8601 text only (any fraction, `Z` or offset, or no zone meaning UTC).
    Rfc3339,
    /// An epoch number or numeric string of any unit, told apart by magnitude.
    Epoch,
    /// Epoch seconds (a fraction allowed).
    EpochS,
    /// Epoch milliseconds.
    EpochMs,
    /// Epoch microseconds.
    EpochUs,
    /// Epoch nanoseconds.
    EpochNs,
    /// Windows FILETIME: 100 ns ticks since 1601-01-01.
    Filetime,
}

/// Pointers for the common fields.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldsSpec {
    /// Where `event_name` comes from.
    #[serde(default)]
    pub event_name: Option<FieldSpec>,
    /// Where `event_type` comes from.
    #[serde(default)]
    pub event_type: Option<FieldSpec>,
    /// Where `user` comes from.
    #[serde(default)]
    pub user: Option<FieldSpec>,
    /// Where `src_ip` comes from.
    #[serde(default)]
    pub src_ip: Option<FieldSpec>,
    /// Where `host` comes from.
    #[serde(default)]
    pub host: Option<FieldSpec>,
}

/// Candidates for one common field, and a transform applied to each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// JSON pointers, bare top-level keys, or `$list`; the first usable wins.
    pub from: Vec<String>,
    /// Applied to each candidate; an empty result moves on to the next.
    pub transform: Transform,
}

/// A transform of a field's text.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// Keep the text.
    #[default]
    None,
    /// Remove a `:port` (`1.2.3.4:22`, `[::1]:22`).
    StripPort,
    /// Trim white space.
    Trim,
    /// Lower-case.
    Lowercase,
    /// Keep only an IP literal (the first of a comma-separated list).
    IpOnly,
    /// The text after the last `/` (or `:`) of an ARN.
    ArnLast,
}

impl<'de> Deserialize<'de> for FieldSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a pointer string, a list of pointers, or a table { from, transform }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldSpec, E> {
                Ok(FieldSpec {
                    from: vec![v.to_owned()],
                    transform: Transform::None,
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FieldSpec, A::Error> {
                let mut from = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    from.push(s);
                }
                Ok(FieldSpec {
                    from,
                    transform: Transform::None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FieldSpec, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Full {
                    from: OneOrMany,
                    #[serde(default)]
                    transform: Transform,
                }
                let full = Full::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(FieldSpec {
                    from: full.from.0,
                    transform: full.transform,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OneOrMany(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(OneOrMany(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// One outcome rule: when the value at `pointer` matches, the outcome is `result`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRule {
    /// JSON pointer (or bare top-level key) of the value tested.
    pub pointer: String,
    /// Matches when the value equals one of these JSON values.
    #[serde(default)]
    pub equals: Option<Vec<Value>>,
    /// Matches when the value's text ends with one of these.
    #[serde(default)]
    pub ends_with: Option<Vec<String>>,
    /// With `ends_with`: compare ignoring ASCII case.
    #[serde(default)]
    pub ignore_case: bool,
    /// `true`: matches when the value has usable text; `false`: when it has none.
    #[serde(default)]
    pub present: Option<bool>,
    /// The outcome when the rule matches.
    pub result: OutcomeName,
}

/// `success` or `failure`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeName {
    /// The action succeeded.
    Success,
    /// The action failed or was denied.
    Failure,
}

impl From<OutcomeName> for Outcome {
    fn from(o: OutcomeName) -> Outcome {
        match o {
            OutcomeName::Success => Outcome::Success,
            OutcomeName::Failure => Outcome::Failure,
        }
    }
}
