//! [`Document`]: the top-level fields of one event that a spec reads, found by one scan.

use std::borrow::Cow;
use std::cell::OnceCell;

use s3conn_core::Event;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// The top-level fields of one event that a spec reads: found by one scan that skips every other
/// field, each parsed into a `Value` only when first read.
pub(super) struct Document<'k, 'a> {
    keys: &'k [String],
    raws: Vec<Option<&'a RawValue>>,
    parsed: Vec<OnceCell<Option<Value>>>,
}

impl<'k, 'a> Document<'k, 'a> {
    /// Scans an event object; `None` if it is not one.
    pub(super) fn scan(keys: &'k [String], event: &Event<'a>) -> Option<Self> {
        let raws = event.parse_seed(TopScan { keys }).ok()?;
        Some(Document {
            keys,
            parsed: (0..keys.len()).map(|_| OnceCell::new()).collect(),
            raws,
        })
    }

    pub(super) fn top(&self, key: &str) -> Option<&Value> {
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
