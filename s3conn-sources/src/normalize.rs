//! The steps every source's `normalize` shares: reading the event's typed view, and the
//! `Normalized` given when the event's own time cannot be used.

use s3conn_core::{CompactString, Event, Normalized};
use serde::Deserialize;

/// Reason given when an event is not a JSON object.
pub const NOT_OBJECT: &str = "event is not a JSON object";
/// Reason given when an event has no time field that could be read.
pub const NO_TIME: &str = "no usable time field";

/// A `Normalized` that only says why the event's own time could not be used.
pub fn fallback(reason: &str) -> Normalized {
    Normalized {
        fallback_reason: Some(reason.into()),
        ..Normalized::default()
    }
}

/// A common field's value, owned (inline when short: no allocation).
pub fn owned(s: Option<&str>) -> Option<CompactString> {
    s.map(CompactString::from)
}

/// Whether the event's JSON text is an object.
pub fn is_object(event: &Event<'_>) -> bool {
    event.raw().trim_start().starts_with('{')
}

/// Deserializes the typed partial view `T` of an event object.
///
/// Tries the fast borrowed path first; if that fails (for instance on a duplicate key, which the
/// derived structs reject), falls back to the event's parsed `Value`, where the last duplicate
/// wins. `None` only when the event is not an object.
pub fn parse_event<'s, T: Deserialize<'s>>(event: &'s Event<'_>) -> Option<T> {
    if !is_object(event) {
        return None;
    }
    match event.parse::<T>() {
        Ok(t) => Some(t),
        Err(_) => T::deserialize(event.value()).ok(),
    }
}

/// Sets `fallback_reason` when no timestamp was found.
pub fn finish(mut n: Normalized) -> Normalized {
    if n.timestamp_ms.is_none() && n.fallback_reason.is_none() {
        n.fallback_reason = Some(NO_TIME.into());
    }
    n
}
