//! [`NotedField`]: one top-level field of an event as its framer wrote it, read without a parser.

use super::validate::{FieldSpan, ValueHint};

/// One top-level field of an event whose framer noted its fields (text decoders always do): the
/// key as written and what the value is, so a source can read typed values straight from their
/// positions. See [`Event::noted_fields`](crate::Event::noted_fields).
#[derive(Debug, Clone, Copy)]
pub struct NotedField<'a> {
    key: &'a str,
    key_escaped: bool,
    value: &'a str,
    hint: ValueHint,
}

impl<'a> NotedField<'a> {
    /// The field `span` of the JSON object `text`; `None` when the span is not in it.
    pub(crate) fn new(text: &'a str, span: &FieldSpan) -> Option<Self> {
        Some(NotedField {
            key: text.get(span.key.clone())?,
            key_escaped: span.key_escaped,
            value: text.get(span.value.clone())?,
            hint: span.hint,
        })
    }

    /// The key, when it has no escapes (a key with escapes is `None`: read the event with
    /// [`Event::parse`](crate::Event::parse)).
    pub fn key(&self) -> Option<&'a str> {
        (!self.key_escaped).then_some(self.key)
    }

    /// The value's JSON text, as written.
    pub fn json(&self) -> &'a str {
        self.value
    }

    /// The value when it is a string without escapes (the text between its quotes).
    pub fn plain_str(&self) -> Option<&'a str> {
        match self.hint {
            ValueHint::PlainString => self.value.get(1..self.value.len().checked_sub(1)?),
            _ => None,
        }
    }

    /// The value when it is an integer (of at most 19 digits): its text, e.g. `-12`.
    pub fn integer_text(&self) -> Option<&'a str> {
        (self.hint == ValueHint::Integer).then_some(self.value)
    }

    /// The value when it is a non-negative integer that fits a `u64`.
    pub fn u64(&self) -> Option<u64> {
        let text = self.integer_text()?;
        if text.starts_with('-') {
            return None;
        }
        text.bytes().try_fold(0u64, |n, b| {
            n.checked_mul(10)?
                .checked_add(u64::from(b.wrapping_sub(b'0')))
        })
    }

    /// Whether the value is known without a JSON parser (a plain string or an integer).
    pub fn is_known(&self) -> bool {
        self.hint != ValueHint::Json
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_from_their_hints() {
        let text = r#"{"a":"x y","n":42,"m":-3,"e":"q\"","k\"":1}"#;
        let span = |key: std::ops::Range<usize>, value: std::ops::Range<usize>, hint| FieldSpan {
            key,
            value,
            key_escaped: false,
            hint,
        };
        let a = NotedField::new(text, &span(2..3, 5..10, ValueHint::PlainString)).unwrap();
        assert_eq!(
            (a.key(), a.plain_str(), a.u64()),
            (Some("a"), Some("x y"), None)
        );
        let n = NotedField::new(text, &span(12..13, 15..17, ValueHint::Integer)).unwrap();
        assert_eq!(
            (n.integer_text(), n.u64(), n.plain_str()),
            (Some("42"), Some(42), None)
        );
        let m = NotedField::new(text, &span(19..20, 22..24, ValueHint::Integer)).unwrap();
        assert_eq!((m.integer_text(), m.u64()), (Some("-3"), None));
        let e = NotedField::new(text, &span(26..27, 29..34, ValueHint::Json)).unwrap();
        assert_eq!(
            (e.plain_str(), e.json(), e.is_known()),
            (None, r#""q\"""#, false)
        );
        let mut k = span(36..39, 41..42, ValueHint::Integer);
        k.key_escaped = true;
        assert_eq!(NotedField::new(text, &k).unwrap().key(), None);
    }
}
