//! Writing one text record as a JSON object, noting its fields for `Event::parse`.

use super::split::{unescape, Escape};
use super::FieldType;
use crate::json::{any_needs_escape, write_escaped, write_str, FieldSpan, ValueHint};

/// A field's key, written once as JSON, and its type.
#[derive(Debug, Clone)]
pub(super) struct Column {
    /// `,"<key>":`, the key JSON-escaped (the first field of a record skips the comma).
    prefix: String,
    key_escaped: bool,
    pub(super) kind: FieldType,
}

impl Column {
    /// The column `name` of type `kind`.
    pub(super) fn new(name: &str, kind: FieldType) -> Self {
        let mut key = Vec::with_capacity(name.len() + 2);
        write_str(&mut key, name);
        // `write_str` wrote a `&str`, escaped: UTF-8.
        let key = String::from_utf8_lossy(&key);
        let prefix = format!(",{key}:");
        let key_escaped = prefix.contains('\\');
        Column {
            prefix,
            key_escaped,
            kind,
        }
    }
}

/// Builds one record's JSON object; reused from record to record. The object is written into
/// one `String` (keys pre-escaped, values copied as they are when the record has nothing to
/// escape), so it is never validated as UTF-8 again; each field's span says what its value is
/// (a plain string, an integer) so the source reads it without a JSON parser.
#[derive(Debug, Default)]
pub(super) struct JsonRecord {
    out: String,
    /// The record's text has nothing to escape (checked once, not per field).
    plain: bool,
    spans: Vec<FieldSpan>,
    scratch: String,
}

impl JsonRecord {
    /// Starts a new object for a record whose text is `record`.
    pub(super) fn begin(&mut self, record: &[u8]) {
        self.plain = !any_needs_escape(record);
        self.out.clear();
        self.spans.clear();
        self.out.push('{');
    }

    /// Adds one field whose text is `text` (escaped as `escape`).
    // Called for every field of every record from one place: inlined, it saves a call frame each.
    #[inline]
    pub(super) fn field(&mut self, column: &Column, text: &str, escape: Escape) {
        let prefix = if self.spans.is_empty() {
            column.prefix.get(1..).unwrap_or("")
        } else {
            column.prefix.as_str()
        };
        let key_start = self.out.len() + prefix.len() - (column.prefix.len() - 2);
        self.out.push_str(prefix);
        let value_start = self.out.len();
        let key = key_start..value_start - 2;
        let numeric = match column.kind {
            FieldType::Text => false,
            FieldType::Integer => is_integer(text.as_bytes()),
            FieldType::Number => is_number(text.as_bytes()),
        };
        let hint = if numeric && escape == Escape::None {
            self.out.push_str(text);
            if column.kind == FieldType::Integer {
                ValueHint::Integer
            } else {
                ValueHint::Json
            }
        } else {
            self.out.push('"');
            let escaped = if self.plain {
                // Nothing to escape in the record: then nothing to unescape either.
                self.out.push_str(text);
                false
            } else if escape == Escape::None {
                write_escaped(&mut self.out, text)
            } else {
                self.scratch.clear();
                unescape(text, escape, &mut self.scratch);
                write_escaped(&mut self.out, &self.scratch)
            };
            self.out.push('"');
            if escaped {
                ValueHint::Json
            } else {
                ValueHint::PlainString
            }
        };
        self.spans.push(FieldSpan {
            key,
            value: value_start..self.out.len(),
            key_escaped: column.key_escaped,
            hint,
        });
    }

    /// Closes the object: its JSON text and fields.
    pub(super) fn finish(&mut self) -> (&str, &[FieldSpan]) {
        self.out.push('}');
        (&self.out, &self.spans)
    }
}

/// `-?(0|[1-9][0-9]*)`, at most 19 digits (an i64 or u64 without loss).
#[inline]
fn is_integer(b: &[u8]) -> bool {
    let digits = match b {
        [b'-', rest @ ..] => rest,
        _ => b,
    };
    if digits.is_empty() || digits.len() > 19 || (digits.len() > 1 && digits[0] == b'0') {
        return false;
    }
    // No early exit: short fields, one predictable loop.
    digits
        .iter()
        .fold(true, |ok, &d| ok & (d.wrapping_sub(b'0') < 10))
}

/// The JSON number grammar.
fn is_number(b: &[u8]) -> bool {
    let mut i = usize::from(b.first() == Some(&b'-'));
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int = &b[int_start..i];
    if int.is_empty() || (int.len() > 1 && int[0] == b'0') {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == frac {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_json_grammar() {
        for ok in ["0", "-1", "123", "9223372036854775807"] {
            assert!(is_integer(ok.as_bytes()), "{ok}");
            assert!(is_number(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "",
            "-",
            "007",
            "+1",
            "1.5",
            "1e3",
            "12a",
            "99999999999999999999",
        ] {
            assert!(!is_integer(bad.as_bytes()), "{bad}");
        }
        for ok in ["0.125", "-1.5e-3", "1E9", "0"] {
            assert!(is_number(ok.as_bytes()), "{ok}");
        }
        for bad in ["1.", ".5", "01", "1e", "NaN", "-", "1.5.5"] {
            assert!(!is_number(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn a_record_is_valid_json_with_its_fields_noted() {
        let mut record = JsonRecord::default();
        record.begin(b"\\\"");
        record.field(&Column::new("n", FieldType::Integer), "42", Escape::None);
        record.field(
            &Column::new("n2", FieldType::Integer),
            "NODATA",
            Escape::None,
        );
        record.field(
            &Column::new("q\"k", FieldType::Text),
            r#"a \"b\" \\c"#,
            Escape::Backslash,
        );
        record.field(
            &Column::new("c", FieldType::Text),
            "x\u{1}\ty",
            Escape::None,
        );
        let (text, spans) = record.finish();
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"n": 42, "n2": "NODATA", "q\"k": "a \"b\" \\c", "c": "x\u{1}\ty"})
        );
        assert_eq!(&text[spans[0].key.clone()], "n");
        assert_eq!(&text[spans[0].value.clone()], "42");
        assert!(spans[2].key_escaped);
        assert_eq!(spans[0].hint, ValueHint::Integer);
        assert_eq!(spans[1].hint, ValueHint::PlainString);
        assert_eq!(spans[2].hint, ValueHint::Json);
        assert_eq!(spans[3].hint, ValueHint::Json);
    }
}
