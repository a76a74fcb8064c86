//! Lenient building blocks shared by the sources: field types that accept any JSON value without
//! failing, time conversion, and small string helpers.
//!
//! Every typed partial struct of a source is made of these types, so deserializing an event object
//! never fails on a value of an unexpected type: such a field simply reads as absent.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::net::IpAddr;

use s3conn_core::time::{epoch_to_ms, str_to_ms, value_to_ms};
use s3conn_core::{Event, Normalized};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// Reason given when an event is not a JSON object.
pub const NOT_OBJECT: &str = "event is not a JSON object";
/// Reason given when an event has no time field that could be read.
pub const NO_TIME: &str = "no usable time field";

/// A `Normalized` that only says why the event's own time could not be used.
pub fn fallback(reason: &str) -> Normalized {
    Normalized {
        fallback_reason: Some(reason.to_owned()),
        ..Normalized::default()
    }
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
        n.fallback_reason = Some(NO_TIME.to_owned());
    }
    n
}

// ---------------------------------------------------------------------------------------------
// Text: a string-ish value.

/// A field read as text: a string (borrowed when possible), a number (its JSON text), or the first
/// text element of an array. Booleans, nulls, objects and empty strings read as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// The text, when present.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The text as an owned string, when present.
    pub fn owned(&self) -> Option<String> {
        self.0.as_deref().map(str::to_owned)
    }
}

fn non_empty(s: Cow<'_, str>) -> Option<Cow<'_, str>> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(non_empty(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(non_empty(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(non_empty(Cow::Owned(v))))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Text(
            serde_json::Number::from_f64(v).map(|n| Cow::Owned(n.to_string())),
        ))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TextVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut first = None;
        while let Some(t) = seq.next_element::<Text<'de>>()? {
            if first.is_none() && t.0.is_some() {
                first = t.0;
            }
        }
        Ok(Text(first))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Flag: a boolean-ish value.

/// A field read as a boolean: only JSON `true`/`false`; anything else is absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlagVisitor)
    }
}

struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = Flag;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
        Ok(Flag(Some(v)))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Flag, D::Error> {
        d.deserialize_any(FlagVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Flag, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Flag(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Flag, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Flag(None))
    }
}

// ---------------------------------------------------------------------------------------------
// TimeVal: a time-ish value.

/// A field read as a time: a string or a number, kept raw until converted.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum TimeVal<'a> {
    /// Absent, null, or of a type that cannot hold a time.
    #[default]
    None,
    /// A string (RFC 3339 or a numeric epoch string).
    Str(Cow<'a, str>),
    /// A non-negative integer.
    U64(u64),
    /// Any other number.
    F64(f64),
}

impl TimeVal<'_> {
    /// Epoch milliseconds: RFC 3339, or an epoch of any unit told apart by magnitude.
    pub fn to_ms(&self) -> Option<i64> {
        match self {
            TimeVal::None => None,
            TimeVal::Str(s) => str_to_ms(s),
            TimeVal::U64(n) => u64_epoch_to_ms(*n),
            TimeVal::F64(f) => epoch_to_ms(*f),
        }
    }

    /// Like [`TimeVal::to_ms`], but 18-digit numbers from 1.16e17 to 1e18 are read as Windows
    /// FILETIME (100 ns since 1601) rather than epoch nanoseconds (which would land in the 1970s).
    pub fn to_ms_filetime_aware(&self) -> Option<i64> {
        let n = match self {
            TimeVal::U64(n) => Some(*n),
            TimeVal::Str(s) if s.len() == 18 && s.bytes().all(|c| c.is_ascii_digit()) => {
                s.parse::<u64>().ok()
            }
            _ => None,
        };
        match n {
            Some(n) if (FILETIME_1970..1_000_000_000_000_000_000).contains(&n) => filetime_to_ms(n),
            _ => self.to_ms(),
        }
    }

    /// Whether the field was present with a string or number.
    pub fn is_some(&self) -> bool {
        !matches!(self, TimeVal::None)
    }
}

/// FILETIME of 1970-01-01T00:00:00Z.
pub const FILETIME_1970: u64 = 116_444_736_000_000_000;

/// Converts a Windows FILETIME (100 ns ticks since 1601-01-01) to epoch milliseconds.
pub fn filetime_to_ms(ticks: u64) -> Option<i64> {
    let ms = ticks.checked_sub(FILETIME_1970)? / 10_000;
    i64::try_from(ms).ok().filter(|&m| m > 0)
}

/// An integer epoch of unknown unit to milliseconds (the core's magnitude rules, exact for
/// integers).
pub fn u64_epoch_to_ms(n: u64) -> Option<i64> {
    value_to_ms(&serde_json::Value::from(n))
}

struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = TimeVal<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(TimeVal::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(TimeVal::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(TimeVal::Str(Cow::Owned(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(TimeVal::U64(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(TimeVal::F64(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(TimeVal::F64(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(TimeVal::None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(TimeVal::None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(TimeVal::None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TimeVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TimeVal::None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(TimeVal::None)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for TimeVal<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimeVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Obj: a nested object read into a typed partial struct, or absent.

/// A nested object read as `T`; any non-object value (or an object `T` rejects) reads as absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<T> Obj<T> {
    /// The object, when present.
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Obj(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Obj(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------------
// Top-level key scan (for sources whose field names are configured at run time).

/// Reads the top-level fields of an object whose names `want` accepts, as raw `TimeVal`s.
///
/// `want(key)` returns the slot index for keys of interest. Values of other keys are skipped
/// without allocation.
pub struct KeyScan<'w, F: Fn(&str) -> Option<usize>> {
    /// Maps a key to its slot.
    pub want: &'w F,
    /// Number of slots.
    pub slots: usize,
}

impl<'de, F: Fn(&str) -> Option<usize>> DeserializeSeed<'de> for KeyScan<'_, F> {
    type Value = Vec<TimeVal<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: Fn(&str) -> Option<usize>> Visitor<'de> for KeyScan<'_, F> {
    type Value = Vec<TimeVal<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = vec![TimeVal::None; self.slots];
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match (self.want)(key.get().unwrap_or("")) {
                Some(i) if i < out.len() && !out[i].is_some() => {
                    out[i] = map.next_value::<TimeVal<'de>>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// The same readings on a parsed `Value` (used by declarative sources; kept identical on purpose).

/// Reads a `Value` the way [`Text`] reads JSON.
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

// ---------------------------------------------------------------------------------------------
// String helpers.

/// The text after the last `/` (or, when there is none, after the last `:`) of an ARN.
pub fn arn_last_part(arn: &str) -> Option<&str> {
    let last = match arn.rfind('/') {
        Some(i) => &arn[i + 1..],
        None => match arn.rfind(':') {
            Some(i) => &arn[i + 1..],
            None => arn,
        },
    };
    if last.is_empty() {
        None
    } else {
        Some(last)
    }
}

/// Strips a port from `host:port`, `[v6]:port`, or a v6 address with `:port` glued on
/// (`2a02:cf40:::43026`); a bare address is returned unchanged.
pub fn strip_port(addr: &str) -> &str {
    let a = addr.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return match rest.find(']') {
            Some(i) => &rest[..i],
            None => a,
        };
    }
    match a.bytes().filter(|&c| c == b':').count() {
        0 => a,
        1 => a.split_once(':').map_or(a, |(h, _)| h),
        _ => {
            if a.parse::<IpAddr>().is_ok() {
                return a;
            }
            match a.rsplit_once(':') {
                Some((h, port))
                    if !port.is_empty()
                        && port.bytes().all(|c| c.is_ascii_digit())
                        && h.parse::<IpAddr>().is_ok() =>
                {
                    h
                }
                _ => a,
            }
        }
    }
}

/// The first element of a comma-separated list, trimmed, if it is an IP address literal.
pub fn ip_literal(s: &str) -> Option<&str> {
    let first = s.split(',').next().unwrap_or(s).trim();
    if first.parse::<IpAddr>().is_ok() {
        Some(first)
    } else {
        None
    }
}

/// The IP address in brackets of a sendmail `relay=` value (`host. [1.2.3.4]`, `[IPv6:2a02::]`).
pub fn relay_ip(relay: &str) -> Option<&str> {
    let open = relay.rfind('[')?;
    let close = relay[open..].find(']')? + open;
    let inner = &relay[open + 1..close];
    let inner = inner
        .strip_prefix("IPv6:")
        .or_else(|| inner.strip_prefix("ipv6:"))
        .unwrap_or(inner);
    if inner.parse::<IpAddr>().is_ok() {
        Some(inner)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_port_forms() {
        assert_eq!(strip_port("1.2.3.4:5555"), "1.2.3.4");
        assert_eq!(strip_port("1.2.3.4"), "1.2.3.4");
        assert_eq!(strip_port("[::1]:22"), "::1");
        assert_eq!(strip_port("2a02:cf40:::43026"), "2a02:cf40::");
        assert_eq!(strip_port("2a02:cf40::1"), "2a02:cf40::1");
        assert_eq!(strip_port("host.example.com:3022"), "host.example.com");
        assert_eq!(strip_port(""), "");
    }

    #[test]
    fn arn_parts() {
        assert_eq!(
            arn_last_part("arn:aws:iam::123456789012:user/Alice"),
            Some("Alice")
        );
        assert_eq!(
            arn_last_part("arn:aws:iam::123456789012:root"),
            Some("root")
        );
        assert_eq!(arn_last_part("arn:aws:iam::1:user/"), None);
    }

    #[test]
    fn relay_and_ip() {
        assert_eq!(
            relay_ip("abcd.example.net. [IPv6:2a02:cf40::]"),
            Some("2a02:cf40::")
        );
        assert_eq!(
            relay_ip("m0000123.ppops.net [127.0.0.1]"),
            Some("127.0.0.1")
        );
        assert_eq!(relay_ip("nothing here"), None);
        assert_eq!(
            ip_literal("81.2.69.142, 192.168.10.10"),
            Some("81.2.69.142")
        );
        assert_eq!(ip_literal("AWS Internal"), None);
    }

    #[test]
    fn lenient_types() {
        #[derive(Deserialize)]
        struct T<'a> {
            #[serde(borrow, default)]
            a: Text<'a>,
            #[serde(borrow, default)]
            b: TimeVal<'a>,
            #[serde(default)]
            c: Obj<Inner>,
            #[serde(default)]
            d: Flag,
        }
        #[derive(Deserialize)]
        struct Inner {
            x: u8,
        }
        let t: T<'_> = serde_json::from_str(r#"{"a":{"k":[1]},"b":[1,2],"c":"s","d":"true"}"#)
            .expect("lenient");
        assert_eq!(t.a.get(), None);
        assert!(!t.b.is_some());
        assert!(t.c.get().is_none());
        assert_eq!(t.d.0, None);
        let t: T<'_> =
            serde_json::from_str(r#"{"a":["",7,"z"],"b":1625677521162,"c":{"x":3},"d":false}"#)
                .expect("lenient");
        assert_eq!(t.a.get(), Some("7"));
        assert_eq!(t.b.to_ms(), Some(1_625_677_521_162));
        assert_eq!(t.c.get().map(|i| i.x), Some(3));
        assert_eq!(t.d.0, Some(false));
    }

    #[test]
    fn filetime() {
        let t = TimeVal::U64(133_433_951_380_000_000);
        assert_eq!(t.to_ms_filetime_aware(), Some(1_698_921_538_000));
        assert_eq!(
            TimeVal::U64(1_698_921_538_000).to_ms_filetime_aware(),
            Some(1_698_921_538_000)
        );
    }
}
