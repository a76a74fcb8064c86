//! [`NotedField`]: one top-level field of an event as its framer wrote it, read without a parser.

use super::validate::{FieldSpan, ValueHint};

/// One top-level field of an event whose framer noted its fields (text decoders always do): the
/// key as written and what the value is, so a source can read typed values straight from their
/// positions. See [`Event::noted_fields`](crate::Event::noted_fields).
#[derive(Debug, Clone, Copy)]
pub struct NotedField<'a> {
    text: &'a str,
    span: &'a FieldSpan,
}

impl<'a> NotedField<'a> {
    /// The field `span` of the JSON object `text` (nothing is sliced until asked: a source
    /// matching keys reads most fields only by their key's bytes).
    pub(crate) fn new(text: &'a str, span: &'a FieldSpan) -> Self {
        NotedField { text, span }
    }

    /// The key, when it has no escapes (a key with escapes is `None`: read the event with
    /// [`Event::parse`](crate::Event::parse)).
    pub fn key(&self) -> Option<&'a str> {
        if self.span.key_escaped {
            return None;
        }
        self.text.get(self.span.key.clone())
    }

    /// The key's bytes as written, when it has no escapes (cheaper than [`NotedField::key`] for
    /// matching against known names).
    #[inline]
    pub fn key_bytes(&self) -> Option<&'a [u8]> {
        if self.span.key_escaped {
            return None;
        }
        self.text.as_bytes().get(self.span.key.clone())
    }

    /// The value's JSON text, as written.
    pub fn json(&self) -> &'a str {
        self.text.get(self.span.value.clone()).unwrap_or_default()
    }

    /// The value when it is a string without escapes (the text between its quotes).
    pub fn plain_str(&self) -> Option<&'a str> {
        match self.span.hint {
            ValueHint::PlainString => {
                let v = &self.span.value;
                self.text
                    .get(v.start.checked_add(1)?..v.end.checked_sub(1)?)
            }
            _ => None,
        }
    }

    /// The value when it is an integer (of at most 19 digits): its text, e.g. `-12`.
    pub fn integer_text(&self) -> Option<&'a str> {
        (self.span.hint == ValueHint::Integer)
            .then(|| self.text.get(self.span.value.clone()))
            .flatten()
    }

    /// The value when it is a non-negative integer that fits a `u64`.
    pub fn u64(&self) -> Option<u64> {
        let text = self.integer_text()?;
        if text.starts_with('-') {
            return None;
        }
        if text.len() > 19 {
            return text.parse().ok();
        }
        // At most 19 digits (as the text decoder notes integers): below `u64::MAX`, so the sum
        // needs no overflow checks (wrapping only keeps a bad hint from panicking).
        Some(text.bytes().fold(0u64, |n, b| {
            n.wrapping_mul(10)
                .wrapping_add(u64::from(b.wrapping_sub(b'0')))
        }))
    }

    /// Whether the value is known without a JSON parser (a plain string or an integer).
    pub fn is_known(&self) -> bool {
        self.span.hint != ValueHint::Json
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
        let a_span = span(2..3, 5..10, ValueHint::PlainString);
        let a = NotedField::new(text, &a_span);
        assert_eq!(
            (a.key(), a.plain_str(), a.u64()),
            (Some("a"), Some("x y"), None)
        );
        let n_span = span(12..13, 15..17, ValueHint::Integer);
        let n = NotedField::new(text, &n_span);
        assert_eq!(
            (n.integer_text(), n.u64(), n.plain_str()),
            (Some("42"), Some(42), None)
        );
        let m_span = span(19..20, 22..24, ValueHint::Integer);
        let m = NotedField::new(text, &m_span);
        assert_eq!((m.integer_text(), m.u64()), (Some("-3"), None));
        let e_span = span(26..27, 29..34, ValueHint::Json);
        let e = NotedField::new(text, &e_span);
        assert_eq!(
            (e.plain_str(), e.json(), e.is_known()),
            (None, r#""q\"""#, false)
        );
        let mut k = span(36..39, 41..42, ValueHint::Integer);
        k.key_escaped = true;
        assert_eq!(NotedField::new(text, &k).key(), None);
        assert_eq!(NotedField::new(text, &k).key_bytes(), None);
        assert_eq!(a.key_bytes(), Some(&b"a"[..]));
        let max = r#"{"u":18446744073709551615,"v":9999999999999999999}"#;
        let u_span = span(2..3, 5..25, ValueHint::Integer);
        assert_eq!(NotedField::new(max, &u_span).u64(), Some(u64::MAX));
        let v_span = span(27..28, 30..49, ValueHint::Integer);
        assert_eq!(
            NotedField::new(max, &v_span).u64(),
            Some(9_999_999_999_999_999_999)
        );
    }
}
