//! [`KeyScan`]: reads a few top-level fields chosen at run time (for sources whose field names are
//! configured), skipping every other value without allocating.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{Text, TimeVal};

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
