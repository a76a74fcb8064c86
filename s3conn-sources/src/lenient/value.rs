//! The lenient readings on an already parsed `serde_json::Value` (used by declarative sources and
//! JSON-pointer lookups; kept identical to the streaming readers on purpose).

use std::borrow::Cow;

use super::TimeVal;

/// Reads a `Value` the way [`Text`](super::Text) reads JSON.
pub fn value_text(v: &serde_json::Value) -> Option<Cow<'_, str>> {
    use serde_json::Value;
    match v {
        Value::String(s) if !s.is_empty() => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Array(items) => items.iter().find_map(value_text),
        _ => None,
    }
}

/// Reads a `Value` the way [`TimeVal`] reads JSON.
pub fn value_time(v: &serde_json::Value) -> TimeVal<'_> {
    use serde_json::Value;
    match v {
        Value::String(s) => TimeVal::Str(Cow::Borrowed(s.as_str())),
        Value::Number(n) => match n.as_u64() {
            Some(u) => TimeVal::U64(u),
            None => n.as_f64().map_or(TimeVal::None, TimeVal::F64),
        },
        _ => TimeVal::None,
    }
}
