//! Declarative sources: a log source described by a TOML or JSON spec loaded at run time.
//!
//! ```toml
//! id = "acme-audit"
//! display_name = "Acme audit (JSON)"
//! index = "Syslog"
//! msg_class = "generic_s3_acme_log"
//! vendor = "acme"
//! expand_fields = ["entries"]          # optional: object fields whose arrays hold the events
//! skip_keys = ["/digest/"]             # optional: objects whose key contains one are skipped
//!
//! [timestamp]
//! fields = ["/meta/created", "ts"]     # JSON pointers, or a bare top-level key
//! formats = ["rfc3339", "epoch_ms"]    # optional, default ["auto"]
//!
//! [fields]                             # each: a pointer, a list of pointers (first usable wins),
//! event_name = "/action"               # or { from = [...], transform = "strip_port" }
//! event_type = "$list"                 # `$list`: the list the event was expanded from
//! user = ["/actor/name", "/actor/id"]
//! src_ip = { from = ["/client"], transform = "strip_port" }
//! host = "/host"
//!
//! [[outcome]]                          # rules in order; the first that matches decides
//! pointer = "/status"
//! equals = ["denied", "error"]         # or ends_with = [..] (+ ignore_case), or present = true
//! result = "failure"
//! ```
//!
//! Values are read exactly as the built-in sources read them: a string (empty means absent), a
//! number (its JSON text), or the first usable element of an array; objects, booleans and null are
//! absent. Errors name the offending field.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::path::Path;
use std::sync::Arc;

use s3conn_core::time::parse_rfc3339;
use s3conn_core::{Event, KeyVerdict, LogSource, Normalized, Outcome, SourceInfo};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::util::{self, filetime_to_ms, strip_port, value_text, value_time, TimeVal};

/// A spec that could not be loaded; the message names the field at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The spec file could not be read.
    #[error("cannot read source spec {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not valid TOML, or a field is missing, unknown or of the wrong type.
    #[error("invalid source spec (TOML): {0}")]
    Toml(#[from] toml::de::Error),
    /// Not valid JSON, or a field is missing, unknown or of the wrong type.
    #[error("invalid source spec (JSON): {0}")]
    Json(#[from] serde_json::Error),
    /// A field has a value the spec does not allow.
    #[error("invalid source spec: field `{field}`: {reason}")]
    Invalid {
        /// Path of the field, e.g. `fields.user[1]`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> SpecError {
    SpecError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

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

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Locator {
    /// A JSON pointer (`/a/b`), split into its unescaped tokens once, at load time.
    Pointer(Vec<String>),
    /// A top-level key, taken literally (may contain `.` or `/`-free text).
    Key(String),
    /// The name of the list the event was expanded from.
    ListName,
}

impl Locator {
    fn parse(s: &str, field: &str, allow_list: bool) -> Result<Self, SpecError> {
        if s == "$list" {
            return if allow_list {
                Ok(Locator::ListName)
            } else {
                Err(invalid(field, "`$list` is not allowed here"))
            };
        }
        if s.is_empty() {
            return Err(invalid(field, "empty pointer"));
        }
        if let Some(rest) = s.strip_prefix('/') {
            Ok(Locator::Pointer(
                rest.split('/')
                    .map(|t| t.replace("~1", "/").replace("~0", "~"))
                    .collect(),
            ))
        } else if s.starts_with('$') {
            Err(invalid(
                field,
                format!("unknown special value `{s}` (only `$list`)"),
            ))
        } else {
            Ok(Locator::Key(s.to_owned()))
        }
    }

    /// The top-level key this location starts at (`None` for `$list`).
    fn top(&self) -> Option<&str> {
        match self {
            Locator::Pointer(tokens) => tokens.first().map(String::as_str),
            Locator::Key(k) => Some(k),
            Locator::ListName => None,
        }
    }

    fn lookup<'v>(&self, doc: &'v Doc<'_, '_>) -> Option<&'v Value> {
        let start = doc.top(self.top()?)?;
        match self {
            Locator::Pointer(tokens) => tokens.iter().skip(1).try_fold(start, |at, t| match at {
                Value::Object(map) => map.get(t.as_str()),
                Value::Array(items) => index(t).and_then(|i| items.get(i)),
                _ => None,
            }),
            _ => Some(start),
        }
    }
}

/// The top-level fields of one event that a spec reads: found by one scan that skips every other
/// field, each parsed into a `Value` only when first read.
struct Doc<'k, 'a> {
    keys: &'k [String],
    raws: Vec<Option<&'a RawValue>>,
    parsed: Vec<OnceCell<Option<Value>>>,
}

impl<'k, 'a> Doc<'k, 'a> {
    /// Scans an event object; `None` if it is not one.
    fn scan(keys: &'k [String], event: &Event<'a>) -> Option<Self> {
        let raws = event.parse_seed(TopScan { keys }).ok()?;
        Some(Doc {
            keys,
            parsed: (0..keys.len()).map(|_| OnceCell::new()).collect(),
            raws,
        })
    }

    fn top(&self, key: &str) -> Option<&Value> {
        let i = self.keys.iter().position(|k| k == key)?;
        let raw = (*self.raws.get(i)?)?;
        self.parsed
            .get(i)?
            .get_or_init(|| serde_json::from_str(raw.get()).ok())
            .as_ref()
    }
}

/// Collects the raw values of the wanted top-level keys (the last of duplicates wins, as in a
/// parsed `Value`).
struct TopScan<'k> {
    keys: &'k [String],
}

impl<'de> DeserializeSeed<'de> for TopScan<'_> {
    type Value = Vec<Option<&'de RawValue>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopScan<'_> {
    type Value = Vec<Option<&'de RawValue>>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = vec![None; self.keys.len()];
        while let Some(key) = map.next_key::<KeyText<'de>>()? {
            match self.keys.iter().position(|k| *k == *key.0) {
                Some(i) => out[i] = Some(map.next_value::<&'de RawValue>()?),
                None => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// An object key, borrowed when it has no escapes.
struct KeyText<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for KeyText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<KeyText<'de>, E> {
                Ok(KeyText(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText<'de>, E> {
                Ok(KeyText(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V).map(|k| KeyText(k.0))
    }
}

/// An array index token of a JSON pointer (digits, no leading zero), as RFC 6901 defines it.
fn index(token: &str) -> Option<usize> {
    if token.is_empty()
        || (token.len() > 1 && token.starts_with('0'))
        || !token.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    token.parse().ok()
}

#[derive(Debug, Clone)]
struct CompiledField {
    from: Vec<Locator>,
    transform: Transform,
}

#[derive(Debug, Clone)]
enum Matcher {
    Equals(Vec<Value>),
    EndsWith(Vec<String>, bool),
    Present(bool),
}

#[derive(Debug, Clone)]
struct CompiledRule {
    at: Locator,
    matcher: Matcher,
    result: Outcome,
}

/// A log source defined by a [`SourceSpec`].
#[derive(Debug, Clone)]
pub struct DeclarativeSource {
    info: Arc<SourceInfo>,
    spec: SourceSpec,
    time_fields: Vec<Locator>,
    /// Every top-level key a location starts at (what one scan of an event collects).
    top_keys: Vec<String>,
    event_name: Option<CompiledField>,
    event_type: Option<CompiledField>,
    user: Option<CompiledField>,
    src_ip: Option<CompiledField>,
    host: Option<CompiledField>,
    rules: Vec<CompiledRule>,
}

impl DeclarativeSource {
    /// Loads a spec written in TOML.
    pub fn from_toml_str(text: &str) -> Result<Self, SpecError> {
        Self::from_spec(toml::from_str(text)?)
    }

    /// Loads a spec written in JSON.
    pub fn from_json_str(text: &str) -> Result<Self, SpecError> {
        Self::from_spec(serde_json::from_str(text)?)
    }

    /// Loads a spec file: JSON when it ends in `.json` (or starts with `{`), TOML otherwise.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, SpecError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || text.trim_start().starts_with('{');
        if is_json {
            Self::from_json_str(&text)
        } else {
            Self::from_toml_str(&text)
        }
    }

    /// Validates a spec and builds the source.
    pub fn from_spec(spec: SourceSpec) -> Result<Self, SpecError> {
        if spec.id.is_empty()
            || !spec.id.bytes().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.')
            })
        {
            return Err(invalid(
                "id",
                "must be non-empty: lower-case letters, digits, `-`, `_`, `.`",
            ));
        }
        for (name, value) in [
            ("display_name", &spec.display_name),
            ("index", &spec.index),
            ("msg_class", &spec.msg_class),
            ("vendor", &spec.vendor),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(name, "must not be empty"));
            }
        }
        for (i, f) in spec.expand_fields.iter().enumerate() {
            if f.is_empty() {
                return Err(invalid(format!("expand_fields[{i}]"), "must not be empty"));
            }
        }
        for (i, f) in spec.skip_keys.iter().enumerate() {
            if f.is_empty() {
                return Err(invalid(format!("skip_keys[{i}]"), "must not be empty"));
            }
        }
        if spec.timestamp.fields.is_empty() {
            return Err(invalid("timestamp.fields", "needs at least one field"));
        }
        if spec.timestamp.formats.is_empty() {
            return Err(invalid("timestamp.formats", "needs at least one format"));
        }
        let time_fields = spec
            .timestamp
            .fields
            .iter()
            .enumerate()
            .map(|(i, s)| Locator::parse(s, &format!("timestamp.fields[{i}]"), false))
            .collect::<Result<Vec<_>, _>>()?;
        let compile =
            |name: &str, f: &Option<FieldSpec>| -> Result<Option<CompiledField>, SpecError> {
                let Some(f) = f else { return Ok(None) };
                if f.from.is_empty() {
                    return Err(invalid(
                        format!("fields.{name}"),
                        "needs at least one pointer",
                    ));
                }
                let from = f
                    .from
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Locator::parse(s, &format!("fields.{name}[{i}]"), true))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(CompiledField {
                    from,
                    transform: f.transform,
                }))
            };
        let event_name = compile("event_name", &spec.fields.event_name)?;
        let event_type = compile("event_type", &spec.fields.event_type)?;
        let user = compile("user", &spec.fields.user)?;
        let src_ip = compile("src_ip", &spec.fields.src_ip)?;
        let host = compile("host", &spec.fields.host)?;
        let mut rules = Vec::with_capacity(spec.outcome.len());
        for (i, r) in spec.outcome.iter().enumerate() {
            let field = format!("outcome[{i}]");
            let at = Locator::parse(&r.pointer, &format!("{field}.pointer"), false)?;
            let mut matchers = Vec::new();
            if let Some(eq) = &r.equals {
                if eq.is_empty() {
                    return Err(invalid(
                        format!("{field}.equals"),
                        "needs at least one value",
                    ));
                }
                matchers.push(Matcher::Equals(eq.clone()));
            }
            if let Some(ends) = &r.ends_with {
                if ends.is_empty() {
                    return Err(invalid(
                        format!("{field}.ends_with"),
                        "needs at least one suffix",
                    ));
                }
                matchers.push(Matcher::EndsWith(ends.clone(), r.ignore_case));
            }
            if let Some(p) = r.present {
                matchers.push(Matcher::Present(p));
            }
            if matchers.len() != 1 {
                return Err(invalid(
                    field,
                    "needs exactly one of `equals`, `ends_with`, `present`",
                ));
            }
            let matcher = matchers.remove(0);
            rules.push(CompiledRule {
                at,
                matcher,
                result: r.result.into(),
            });
        }
        let mut top_keys: Vec<String> = Vec::new();
        let all_fields = [&event_name, &event_type, &user, &src_ip, &host];
        let locators = time_fields
            .iter()
            .chain(
                all_fields
                    .iter()
                    .filter_map(|f| f.as_ref())
                    .flat_map(|f| f.from.iter()),
            )
            .chain(rules.iter().map(|r| &r.at));
        for loc in locators {
            if let Some(k) = loc.top() {
                if !top_keys.iter().any(|t| t == k) {
                    top_keys.push(k.to_owned());
                }
            }
        }
        Ok(DeclarativeSource {
            top_keys,
            info: Arc::new(SourceInfo::new(
                &spec.id,
                &spec.display_name,
                &spec.index,
                &spec.msg_class,
                &spec.vendor,
            )),
            time_fields,
            event_name,
            event_type,
            user,
            src_ip,
            host,
            rules,
            spec,
        })
    }

    /// The spec this source was built from.
    pub fn spec(&self) -> &SourceSpec {
        &self.spec
    }
}

/// Reads a time value in one format.
fn read_time(v: &Value, format: TimeFormat) -> Option<i64> {
    let t = value_time(v);
    let numeric = |t: &TimeVal<'_>| -> Option<f64> {
        match t {
            TimeVal::U64(u) => Some(*u as f64),
            TimeVal::F64(f) => Some(*f),
            TimeVal::Str(s) => {
                let s = s.trim();
                if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
                    s.parse().ok()
                } else {
                    None
                }
            }
            TimeVal::None => None,
        }
    };
    let scaled = |div: f64| -> Option<i64> {
        let n = numeric(&t)? / div;
        (n.is_finite() && n > 0.0 && n < 253_402_300_800_000.0).then(|| n.round() as i64)
    };
    match format {
        TimeFormat::Auto => t.to_ms(),
        TimeFormat::Rfc3339 => match &t {
            TimeVal::Str(s) => parse_rfc3339(s),
            _ => None,
        },
        TimeFormat::Epoch => match &t {
            TimeVal::Str(_) => numeric(&t).and(t.to_ms()),
            _ => t.to_ms(),
        },
        TimeFormat::EpochS => scaled(0.001),
        TimeFormat::EpochMs => scaled(1.0),
        TimeFormat::EpochUs => scaled(1_000.0),
        TimeFormat::EpochNs => scaled(1_000_000.0),
        TimeFormat::Filetime => match &t {
            TimeVal::U64(u) => filetime_to_ms(*u),
            TimeVal::Str(s) => s.trim().parse::<u64>().ok().and_then(filetime_to_ms),
            _ => None,
        },
    }
}

fn apply(transform: Transform, s: &str) -> Option<String> {
    let out = match transform {
        Transform::None => s.to_owned(),
        Transform::StripPort => strip_port(s).to_owned(),
        Transform::Trim => s.trim().to_owned(),
        Transform::Lowercase => s.to_lowercase(),
        Transform::IpOnly => util::ip_literal(s)?.to_owned(),
        Transform::ArnLast => util::arn_last_part(s)?.to_owned(),
    };
    if out.is_empty() {
        None
    } else {
        Some(out)
    }
}

fn extract(field: &Option<CompiledField>, v: &Doc<'_, '_>, list: Option<&str>) -> Option<String> {
    let f = field.as_ref()?;
    f.from.iter().find_map(|loc| {
        let text = match loc {
            Locator::ListName => list.filter(|l| !l.is_empty()).map(Cow::Borrowed),
            _ => loc.lookup(v).and_then(value_text),
        }?;
        apply(f.transform, &text)
    })
}

impl CompiledRule {
    fn matches(&self, v: &Doc<'_, '_>) -> bool {
        let found = self.at.lookup(v);
        match &self.matcher {
            Matcher::Equals(values) => found.is_some_and(|x| values.iter().any(|w| w == x)),
            Matcher::EndsWith(suffixes, ignore_case) => {
                let Some(text) = found.and_then(value_text) else {
                    return false;
                };
                suffixes.iter().any(|s| {
                    if *ignore_case {
                        let (t, s) = (text.as_bytes(), s.as_bytes());
                        t.len() >= s.len() && t[t.len() - s.len()..].eq_ignore_ascii_case(s)
                    } else {
                        text.ends_with(s.as_str())
                    }
                })
            }
            Matcher::Present(want) => found.and_then(value_text).is_some() == *want,
        }
    }
}

impl LogSource for DeclarativeSource {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.info
    }

    fn expand_fields(&self) -> &[String] {
        &self.spec.expand_fields
    }

    fn accept_key(&self, key: &str) -> KeyVerdict {
        if self.spec.skip_keys.iter().any(|s| key.contains(s.as_str())) {
            KeyVerdict::Skip("key matches skip_keys of the source spec")
        } else {
            KeyVerdict::Accept
        }
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        if !util::is_object(event) {
            return util::fallback(util::NOT_OBJECT);
        }
        let Some(v) = Doc::scan(&self.top_keys, event) else {
            return util::fallback(util::NOT_OBJECT);
        };
        let v = &v;
        let formats = &self.spec.timestamp.formats;
        let timestamp_ms = self.time_fields.iter().find_map(|loc| {
            let x = loc.lookup(v)?;
            formats.iter().find_map(|f| read_time(x, *f))
        });
        let list = event.list_name();
        util::finish(Normalized {
            timestamp_ms,
            fallback_reason: None,
            event_name: extract(&self.event_name, v, list),
            event_type: extract(&self.event_type, v, list),
            user: extract(&self.user, v, list),
            src_ip: extract(&self.src_ip, v, list),
            host: extract(&self.host, v, list),
            outcome: self.rules.iter().find(|r| r.matches(v)).map(|r| r.result),
        })
    }
}
