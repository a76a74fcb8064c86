//! [`TimeVal`]: a field read as a time (a string or a number, converted on demand).

use std::borrow::Cow;
use std::fmt;

use s3conn_core::time::{epoch_to_ms, filetime_to_ms, integer_epoch_to_ms, str_to_ms};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

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
            TimeVal::U64(n) => integer_epoch_to_ms(*n),
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
