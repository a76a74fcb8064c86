//! A field's JSON text kept unparsed, so a source parses it only when it needs it.

use std::borrow::Cow;

use serde::de::{Deserialize, Deserializer, Visitor};

/// The name under which [`super::TopLevel`]'s values hand out their text without parsing it.
pub(crate) const SPAN_TOKEN: &str = "$s3conn::json::Span";

/// The JSON text of one value, not parsed until asked (empty when the field is absent).
///
/// Through [`crate::Event::parse`] on an event whose fields the framer noted it costs nothing but
/// the borrow; through any other deserializer the value is parsed and written back as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span<'a>(pub Cow<'a, str>);

impl<'a> Span<'a> {
    /// The value's JSON text (`""` when the field was absent).
    pub fn text(&self) -> &str {
        &self.0
    }

    /// Parses the value as `T`; `None` when the field was absent or does not read as `T`.
    pub fn parse<'s, T: Deserialize<'s>>(&'s self) -> Option<T> {
        if self.0.is_empty() {
            return None;
        }
        serde_json::from_str(&self.0).ok()
    }
}

struct SpanVisitor;

impl<'de> Visitor<'de> for SpanVisitor {
    type Value = Span<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Span(Cow::Borrowed(text)))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // Not our field deserializer: parse the value and keep it as text.
        let value = serde_json::Value::deserialize(d)?;
        Ok(Span(Cow::Owned(value.to_string())))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Span<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(SPAN_TOKEN, SpanVisitor)
    }
}
