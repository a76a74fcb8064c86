//! A `serde` deserializer over the top-level fields the validator noted: a source's typed view of
//! an event parses only the values of the fields it names; every other value is skipped without
//! reading it again.

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::span::SPAN_TOKEN;
use super::validate::{FieldSpan, ValueHint};

/// A validated JSON object's text and its top-level fields, as a `serde` deserializer.
#[derive(Debug, Clone, Copy)]
pub struct TopLevel<'a, 'f> {
    text: &'a str,
    fields: &'f [FieldSpan],
}

impl<'a, 'f> TopLevel<'a, 'f> {
    /// The object `text` with the `fields` the validator noted for it.
    pub fn new(text: &'a str, fields: &'f [FieldSpan]) -> Self {
        TopLevel { text, fields }
    }
}

impl<'de> Deserializer<'de> for TopLevel<'de, '_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(Fields {
            text: self.text,
            all: self.fields,
            fields: self.fields.iter(),
            value: None,
        })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
    }
}

struct Fields<'de, 'f> {
    text: &'de str,
    fields: std::slice::Iter<'f, FieldSpan>,
    /// The current field's value, not sliced until read (most are skipped).
    value: Option<Value<'de>>,
    /// Every field, to find the current one's key for an error.
    all: &'f [FieldSpan],
}

impl Fields<'_, '_> {
    /// The key of the field whose value is being read, as written (escapes not decoded).
    fn current_key(&self) -> &str {
        let index = self.all.len().saturating_sub(self.fields.len() + 1);
        self.all
            .get(index)
            .and_then(|f| self.text.get(f.key.clone()))
            .unwrap_or("")
    }
}

impl<'de> MapAccess<'de> for Fields<'de, '_> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some(field) = self.fields.next() else {
            return Ok(None);
        };
        let key = self.text.get(field.key.clone()).unwrap_or("");
        self.value = Some(Value {
            object: self.text,
            start: field.value.start,
            end: field.value.end,
            hint: field.hint,
        });
        if field.key_escaped {
            let quoted = self
                .text
                .get(field.key.start - 1..field.key.end + 1)
                .unwrap_or("\"\"");
            let decoded: String = serde_json::from_str(quoted)?;
            return seed
                .deserialize(StringDeserializer::<serde_json::Error>::new(decoded))
                .map(Some);
        }
        seed.deserialize(BorrowedStrDeserializer::<serde_json::Error>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        seed.deserialize(self.value.take().unwrap_or(Value::NULL))
            .map_err(|e| field_error(self.current_key(), &e))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// `error` (about the value of the field `key`) with the field named, in place of a position inside
/// the value's text, and a hint when a string with escapes was read as `&str`.
fn field_error(key: &str, error: &serde_json::Error) -> serde_json::Error {
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = message.strip_suffix(&position).unwrap_or(&message);
    let hint = if message.ends_with("expected a borrowed string") {
        " (a string with escapes cannot be borrowed: read it as `Cow<str>` with `#[serde(borrow)]`)"
    } else {
        ""
    };
    serde::de::Error::custom(format_args!("field `{key}`: {message}{hint}"))
}

/// One value's text: skipped for free when ignored (not even sliced), read without a parser
/// when its hint says what it is, else parsed by `serde_json`.
struct Value<'de> {
    /// The whole object's text; the value is `object[start..end]`.
    object: &'de str,
    start: usize,
    end: usize,
    hint: ValueHint,
}

impl<'de> Value<'de> {
    /// `null`, parsed (the value of a field whose key was not read first).
    const NULL: Value<'static> = Value {
        object: "null",
        start: 0,
        end: 4,
        hint: ValueHint::Json,
    };

    /// The value's text and hint (`null`, parsed, when its span is not in the text).
    #[inline]
    fn text_hint(&self) -> (&'de str, ValueHint) {
        match self.object.get(self.start..self.end) {
            Some(text) => (text, self.hint),
            None => ("null", ValueHint::Json),
        }
    }

    /// The value's text.
    fn text(&self) -> &'de str {
        self.text_hint().0
    }

    /// The value read straight from its hint (as `serde_json` would visit it), or the visitor
    /// handed back when the JSON parser must read it.
    fn visit_hinted<V: Visitor<'de>>(
        &self,
        visitor: V,
    ) -> Result<Result<V::Value, serde_json::Error>, V> {
        let (text, hint) = self.text_hint();
        match hint {
            ValueHint::PlainString => match text.get(1..text.len().saturating_sub(1)) {
                Some(inner) if text.len() >= 2 => Ok(visitor.visit_borrowed_str(inner)),
                _ => Err(visitor),
            },
            ValueHint::Integer => match text.strip_prefix('-') {
                None => match digits(text) {
                    Some(n) => Ok(visitor.visit_u64(n)),
                    None => Err(visitor),
                },
                Some(rest) => match digits(rest).and_then(|n| 0i64.checked_sub_unsigned(n)) {
                    Some(n) => Ok(visitor.visit_i64(n)),
                    None => Err(visitor),
                },
            },
            ValueHint::Json => Err(visitor),
        }
    }
}

/// The value of at most 19 ASCII digits (no sign), `None` for anything else.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

macro_rules! forward_to_serde_json {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
            self.with_serde_json(|de| de.$method($($arg,)* visitor))
        }
    )*};
}

/// Typed `deserialize_*` methods that read a hinted value as [`Value::visit_hinted`] does: the
/// visitor gets the same call `serde_json` would make (a borrowed string, a `u64` or an `i64`)
/// or, for a type the value is not, makes the same "invalid type" error; other values go to
/// `serde_json`.
macro_rules! hinted_or_serde_json {
    ($($method:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            match self.visit_hinted(visitor) {
                Ok(value) => value,
                Err(visitor) => self.with_serde_json(|de| de.$method(visitor)),
            }
        }
    )*};
}

impl<'de> Value<'de> {
    /// `read` run by `serde_json` over the value's text, which must hold nothing after it.
    fn with_serde_json<T>(
        &self,
        read: impl FnOnce(
            &mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
        ) -> Result<T, serde_json::Error>,
    ) -> Result<T, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(self.text());
        let value = read(&mut de)?;
        de.end()?;
        Ok(value)
    }
}

impl<'de> Deserializer<'de> for Value<'de> {
    type Error = serde_json::Error;

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.visit_hinted(visitor) {
            Ok(value) => value,
            Err(visitor) => self.with_serde_json(|de| de.deserialize_any(visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.text_hint().1 {
            // A hinted value is never `null`.
            ValueHint::PlainString | ValueHint::Integer => visitor.visit_some(self),
            ValueHint::Json => self.with_serde_json(|de| de.deserialize_option(visitor)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        if name == SPAN_TOKEN {
            return visitor.visit_borrowed_str(self.text());
        }
        self.with_serde_json(|de| de.deserialize_newtype_struct(name, visitor))
    }

    hinted_or_serde_json! {
        deserialize_bool;
        deserialize_i8;
        deserialize_i16;
        deserialize_i32;
        deserialize_i64;
        deserialize_u8;
        deserialize_u16;
        deserialize_u32;
        deserialize_u64;
        deserialize_f32;
        deserialize_f64;
        deserialize_str;
        deserialize_string;
    }

    forward_to_serde_json! {
        deserialize_i128();
        deserialize_u128();
        deserialize_char();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::super::Validator;
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct View<'a> {
        #[serde(borrow)]
        name: Cow<'a, str>,
        n: Option<i64>,
        missing: Option<String>,
        nested: BTreeMap<String, Vec<u8>>,
        #[serde(rename = "we\"ird")]
        weird: bool,
    }

    #[test]
    fn typed_views_read_the_same_as_serde_json() {
        let text = r#"{"skip":{"deep":[1,{"x":"y"}]},"name":"a\nb","n":null,"nested":{"k":[1,2]},"we\"ird":true,"tail":"é"}"#;
        let mut v = Validator::new();
        v.validate(text.as_bytes()).unwrap();
        let ours = View::deserialize(TopLevel::new(text, v.fields())).unwrap();
        let theirs: View<'_> = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        let any: serde_json::Value =
            Deserialize::deserialize(TopLevel::new(text, v.fields())).unwrap();
        assert_eq!(
            any,
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }

    /// The top-level fields of `text` as the validator notes them, with `hints` as a text
    /// decoder would give them.
    fn hinted(text: &str, hints: &[ValueHint]) -> Vec<FieldSpan> {
        let mut v = Validator::new();
        v.validate(text.as_bytes()).unwrap();
        v.fields()
            .iter()
            .zip(hints)
            .map(|(f, &hint)| FieldSpan { hint, ..f.clone() })
            .collect()
    }

    #[test]
    fn hinted_values_read_as_serde_json_reads_them() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Hinted<'a> {
            #[serde(borrow)]
            s: Cow<'a, str>,
            u: u64,
            i: Option<i64>,
            big: i64,
            any: serde_json::Value,
            opt: Option<String>,
        }
        let text = r#"{"s":"a b","u":42,"i":-7,"big":-9223372036854775808,"any":"x","opt":"y"}"#;
        use ValueHint::{Integer, PlainString};
        let fields = hinted(
            text,
            &[
                PlainString,
                Integer,
                Integer,
                Integer,
                PlainString,
                PlainString,
            ],
        );
        let ours = Hinted::deserialize(TopLevel::new(text, &fields)).unwrap();
        assert!(matches!(ours.s, Cow::Borrowed("a b")));
        let theirs: Hinted<'_> = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        let any: serde_json::Value =
            Deserialize::deserialize(TopLevel::new(text, &fields)).unwrap();
        assert_eq!(
            any,
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
        // A type the hint does not fit is the same error as serde_json's.
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Wrong {
            u: String,
        }
        assert!(Wrong::deserialize(TopLevel::new(text, &fields)).is_err());
    }

    #[test]
    fn typed_reads_of_hinted_values_match_serde_json_values_and_errors() {
        let text = r#"{"s":"a b","n":42,"m":-7,"z":300,"t":"true"}"#;
        use ValueHint::{Integer, PlainString};
        let fields = hinted(text, &[PlainString, Integer, Integer, Integer, PlainString]);
        /// Reads the field `key` as `T` both ways: the same value, or the same error.
        fn same<'a, T>(text: &'a str, fields: &[FieldSpan], key: &str)
        where
            T: Deserialize<'a> + PartialEq + std::fmt::Debug,
        {
            let only: Vec<FieldSpan> = fields
                .iter()
                .filter(|f| &text[f.key.clone()] == key)
                .cloned()
                .collect();
            let ours = BTreeMap::<&str, T>::deserialize(TopLevel::new(text, &only));
            let theirs = serde_json::from_str::<BTreeMap<&str, serde_json::Value>>(text)
                .unwrap()
                .remove(key)
                .map(|value| T::deserialize(value).map_err(|e| e.to_string()));
            match (ours, theirs) {
                (Ok(mut ours), Some(Ok(theirs))) => assert_eq!(ours.remove(key), Some(theirs)),
                (Err(ours), Some(Err(theirs))) => {
                    assert_eq!(
                        ours.to_string(),
                        format!("field `{key}`: {theirs}"),
                        "{key}"
                    );
                }
                (ours, theirs) => panic!("{key}: {ours:?} against {theirs:?}"),
            }
        }
        for key in ["s", "n", "m", "z", "t"] {
            same::<String>(text, &fields, key);
            same::<Cow<'_, str>>(text, &fields, key);
            same::<bool>(text, &fields, key);
            same::<u8>(text, &fields, key);
            same::<i8>(text, &fields, key);
            same::<u16>(text, &fields, key);
            same::<i16>(text, &fields, key);
            same::<u32>(text, &fields, key);
            same::<i32>(text, &fields, key);
            same::<u64>(text, &fields, key);
            same::<i64>(text, &fields, key);
            same::<f32>(text, &fields, key);
            same::<f64>(text, &fields, key);
            same::<Option<i64>>(text, &fields, key);
        }
    }

    #[test]
    fn spans_are_handed_out_unparsed_and_parsed_elsewhere() {
        #[derive(Debug, Deserialize)]
        struct Lazy<'a> {
            #[serde(borrow, default)]
            a: super::super::Span<'a>,
            #[serde(borrow, default)]
            missing: super::super::Span<'a>,
        }
        let text = r#"{"a": {"x": [1, 2]} , "b": 1}"#;
        let mut v = Validator::new();
        v.validate(text.as_bytes()).unwrap();
        let lazy = Lazy::deserialize(TopLevel::new(text, v.fields())).unwrap();
        assert!(matches!(lazy.a.0, Cow::Borrowed(r#"{"x": [1, 2]}"#)));
        assert_eq!(lazy.missing.text(), "");
        assert_eq!(lazy.missing.parse::<serde_json::Value>(), None);
        let direct: Lazy<'_> = serde_json::from_str(text).unwrap();
        assert_eq!(direct.a.text(), r#"{"x":[1,2]}"#);
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let from_value = Lazy::deserialize(&value).unwrap();
        assert_eq!(
            from_value.a.parse::<serde_json::Value>(),
            Some(serde_json::json!({"x": [1, 2]}))
        );
    }

    #[test]
    fn an_escaped_string_read_as_str_is_an_error_naming_the_field() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Borrowed<'a> {
            name: &'a str,
            user: &'a str,
        }
        let text = r#"{"name":"ok","user":"bob \"the builder\""}"#;
        let mut v = Validator::new();
        v.validate(text.as_bytes()).unwrap();
        let e = Borrowed::deserialize(TopLevel::new(text, v.fields())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `user`: invalid type: string \"bob \\\"the builder\\\"\", expected a borrowed \
             string (a string with escapes cannot be borrowed: read it as `Cow<str>` with \
             `#[serde(borrow)]`)"
        );
        let text = r#"{"user":"a\nb","name":"ok"}"#;
        v.validate(text.as_bytes()).unwrap();
        let e = Borrowed::deserialize(TopLevel::new(text, v.fields())).unwrap_err();
        assert!(e.to_string().starts_with("field `user`: "), "{e}");
    }

    #[test]
    fn type_errors_and_duplicates_are_errors_as_in_serde_json() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct N {
            n: i64,
        }
        let mut v = Validator::new();
        for text in [r#"{"n":"x"}"#, r#"{"n":1,"n":2}"#] {
            v.validate(text.as_bytes()).unwrap();
            assert!(N::deserialize(TopLevel::new(text, v.fields())).is_err());
            assert!(serde_json::from_str::<N>(text).is_err());
        }
    }
}
