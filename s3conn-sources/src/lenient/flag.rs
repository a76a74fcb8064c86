//! [`Flag`]: a field read as a boolean, absent unless it is `true` or `false`.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

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
