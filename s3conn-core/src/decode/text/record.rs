//! Writing one text record as a JSON object, noting its fields for `Event::parse`.

use super::columns::text_of;
use super::split::{unescape, Escape, Token};
use super::{FieldType, Split};
use crate::decode::BadReason;
use crate::json::{any_needs_escape, write_escaped, write_str, FieldSpan, ValueHint};

/// Bytes copied at once on the fast path: a key or a value up to this long is copied as one
/// fixed-size move (a few register loads and stores, no call), into a canvas with room for it
/// and from a buffer with this much slack past its end.
const WINDOW: usize = 32;

/// A field's key, written once as JSON, and its type.
#[derive(Debug, Clone)]
pub(super) struct Column {
    /// `,"<key>":`, the key JSON-escaped (the first field of a record skips the comma).
    prefix: String,
    /// `prefix` then zeros, when it fits in a window; copied a window at a time.
    window: [u8; WINDOW],
    key_escaped: bool,
    pub(super) kind: FieldType,
}

impl Column {
    /// The hint of `value` when it is written bare, as a JSON number (an integer or number
    /// column, a value of that grammar, not unescaped); `None` when it is written as a string.
    #[inline(always)]
    fn bare_hint(&self, value: &[u8], escape: Escape) -> Option<ValueHint> {
        if escape != Escape::None {
            return None;
        }
        match self.kind {
            FieldType::Text => None,
            FieldType::Integer => is_integer(value).then_some(ValueHint::Integer),
            FieldType::Number => is_number(value).then_some(ValueHint::Json),
        }
    }

    /// The column `name` of type `kind`.
    pub(super) fn new(name: &str, kind: FieldType) -> Self {
        let mut key = Vec::with_capacity(name.len() + 2);
        write_str(&mut key, name);
        // `write_str` wrote a `&str`, escaped: UTF-8.
        let key = String::from_utf8_lossy(&key);
        let prefix = format!(",{key}:");
        let key_escaped = prefix.contains('\\');
        let mut window = [0; WINDOW];
        if let Some(w) = window.get_mut(..prefix.len()) {
            w.copy_from_slice(prefix.as_bytes());
        }
        Column {
            prefix,
            window,
            key_escaped,
            kind,
        }
    }
}

/// Builds one record's JSON object; reused from record to record. Keys are escaped once, when
/// the columns are made. A record with nothing to escape (the common case) is copied onto a
/// byte canvas a window at a time and checked as UTF-8 once, whole; any other is written field
/// by field into a `String`, escaped as needed. Each field's span says what its value is (a
/// plain string, an integer) so the source reads it without a JSON parser.
#[derive(Debug, Default)]
pub(super) struct JsonRecord {
    out: String,
    /// The record's text has nothing to escape (checked once, not per field).
    plain: bool,
    spans: Vec<FieldSpan>,
    scratch: String,
    /// The fast path's output: bytes written in windows, checked as UTF-8 once at the end.
    canvas: Vec<u8>,
    /// The record's bytes and `WINDOW` bytes of slack, for the fast path's windowed copies.
    padded: Vec<u8>,
}

impl JsonRecord {
    /// The JSON object of the record `rec` (cut by `split` into `tokens`, named by `columns`: a
    /// token without its column is left out, one whose text is one of `absent` too), and its
    /// fields. An error when the record is not UTF-8: checked once, on the object when every
    /// byte not in it is an ASCII delimiter, else on the record.
    pub(super) fn write(
        &mut self,
        rec: &[u8],
        split: Split,
        columns: &[Column],
        tokens: &[Token],
        absent: &[String],
    ) -> Result<(&str, &[FieldSpan]), BadReason> {
        self.begin(rec);
        if self.plain && tokens.len() <= columns.len() && split.ascii_delimiters() {
            // Every byte of the record outside its tokens is an ASCII delimiter, and absent
            // values are UTF-8 strings: the object is UTF-8 exactly when the record is.
            let written = self.plain_fields(rec, columns, tokens, absent).or_else(|| {
                // Keys longer than a window took more room than the estimate: make room for
                // them all and write again.
                let keys: usize = columns.iter().map(|c| c.prefix.len().max(WINDOW) + 2).sum();
                self.canvas.resize(room(rec.len(), 0) + keys, 0);
                self.plain_fields(rec, columns, tokens, absent)
            });
            if let Some(len) = written {
                return match std::str::from_utf8(&self.canvas[..len]) {
                    Ok(text) => Ok((text, &self.spans)),
                    Err(_) => Err(match text_of(rec) {
                        Err(reason) => reason,
                        Ok(_) => BadReason::InvalidText {
                            message: "the record's JSON object is not UTF-8".to_owned(),
                        },
                    }),
                };
            }
            self.spans.clear();
        }
        let text = text_of(rec)?;
        for (token, column) in tokens.iter().zip(columns) {
            let value = text.get(token.start..token.end).unwrap_or_default();
            if !is_absent(absent, value.as_bytes()) {
                self.field(column, value, token.escape);
            }
        }
        Ok(self.finish())
    }

    /// [`JsonRecord::write`] of a record with nothing to escape: keys and values are copied a
    /// window at a time onto `canvas`; the object's length, or `None` when keys longer than a
    /// window need more room than `canvas` has (nothing usable was written).
    fn plain_fields(
        &mut self,
        rec: &[u8],
        columns: &[Column],
        tokens: &[Token],
        absent: &[String],
    ) -> Option<usize> {
        self.padded.clear();
        self.padded.extend_from_slice(rec);
        self.padded.resize(rec.len() + WINDOW, 0);
        self.spans.clear();
        // Room for keys of at most a window; a longer one checks that its excess fits.
        let fits = room(rec.len(), columns.len());
        if self.canvas.len() < fits {
            self.canvas.resize(fits, 0);
        }
        let mut need = fits;
        let (out, record, spans) = (&mut self.canvas[..], &self.padded[..], &mut self.spans);
        let dash_only = matches!(absent, [a] if a == "-");
        // Every key is written with its comma, the first one too: its comma lands on byte 0,
        // which becomes the `{` at the end.
        let mut len = 0;
        for (token, column) in tokens.iter().zip(columns) {
            let (start, end) = (token.start, token.end.max(token.start));
            let vlen = end - start;
            let gone = if dash_only {
                vlen == 1 && record[start] == b'-'
            } else {
                is_absent(absent, &record[start..end])
            };
            if gone {
                continue;
            }
            let plen = column.prefix.len();
            if plen <= WINDOW {
                out[len..len + WINDOW].copy_from_slice(&column.window);
            } else {
                need += plen - WINDOW;
                if out.len() < need {
                    return None;
                }
                out[len..len + plen].copy_from_slice(column.prefix.as_bytes());
            }
            let key = len + 2..len + plen - 2;
            len += plen;
            let bare = column.bare_hint(&record[start..end], token.escape);
            // The quotes are always written and kept only around a string: a bare number's
            // value overwrites the opening one, the next key the closing one.
            let quoted = usize::from(bare.is_none());
            let value_start = len;
            out[len] = b'"';
            len += quoted;
            if vlen <= WINDOW {
                out[len..len + WINDOW].copy_from_slice(&record[start..start + WINDOW]);
            } else {
                out[len..len + vlen].copy_from_slice(&record[start..end]);
            }
            len += vlen;
            out[len] = b'"';
            len += quoted;
            spans.push(FieldSpan {
                key,
                value: value_start..len,
                key_escaped: column.key_escaped,
                hint: bare.unwrap_or(ValueHint::PlainString),
            });
        }
        out[0] = b'{';
        len = len.max(1);
        out[len] = b'}';
        len += 1;
        Some(len)
    }

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
        let hint = if let Some(hint) = column.bare_hint(text.as_bytes(), escape) {
            self.out.push_str(text);
            hint
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

/// Bytes the windowed path may write for a record of `len` bytes and `columns` keys of at most a
/// window: `{`, every key, two quotes a value, the record, `}`, and a window copy's overshoot.
fn room(len: usize, columns: usize) -> usize {
    len + 2 + 2 * WINDOW + columns * (WINDOW + 2)
}

/// Whether `value` is one of the texts `absent` (`-`).
pub(super) fn is_absent(absent: &[String], value: &[u8]) -> bool {
    absent.iter().any(|a| a.as_bytes() == value)
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

    /// The object the per-field path writes for `values` as `columns` (absent `-` left out).
    fn slow(columns: &[Column], values: &[&str]) -> (String, Vec<FieldSpan>) {
        let mut record = JsonRecord::default();
        record.begin(b"");
        for (column, value) in columns.iter().zip(values) {
            if *value != "-" {
                record.field(column, value, Escape::None);
            }
        }
        let (text, spans) = record.finish();
        (text.to_owned(), spans.to_vec())
    }

    #[test]
    fn the_windowed_path_writes_what_the_per_field_path_writes() {
        let long_key = "k".repeat(40);
        let columns = vec![
            Column::new("version", FieldType::Integer),
            Column::new("srcaddr", FieldType::Text),
            Column::new(&long_key, FieldType::Text),
            Column::new("bytes", FieldType::Integer),
            Column::new("ratio", FieldType::Number),
            Column::new("éclair", FieldType::Text),
        ];
        let long_value = "v".repeat(70);
        let rows: Vec<Vec<&str>> = vec![
            vec!["2", "10.0.0.1", "x", "123", "1.5", "a"],
            vec!["-", "-", "-", "-", "-", "-"],
            vec!["-", "10.0.0.1", &long_value, "007", "1e3", "ünïcode"],
            vec!["NODATA", "", "y", "18446744073709551615", "x", "-"],
            vec![
                "-1",
                "a b",
                &long_value,
                "99999999999999999999",
                "-0.5",
                &long_value,
            ],
        ];
        same_as_per_field(&columns, &rows);
        // Only keys longer than a window (more room than the first estimate), first and last included.
        let names: Vec<String> = (0..12)
            .map(|i| format!("{i}{}", "k".repeat(28 + 5 * i)))
            .collect();
        let columns: Vec<Column> = names
            .iter()
            .enumerate()
            .map(|(i, n)| Column::new(n, [FieldType::Text, FieldType::Integer][i % 2]))
            .collect();
        let rows: Vec<Vec<&str>> = vec![
            (0..12).map(|i| ["x", "1"][i % 2]).collect(),
            (0..12).map(|_| long_value.as_str()).collect(),
            (0..12).map(|i| ["-", "7", "y"][i % 3]).collect(),
        ];
        same_as_per_field(&columns, &rows);
    }

    /// Asserts that the windowed path writes each row as the per-field path does.
    fn same_as_per_field(columns: &[Column], rows: &[Vec<&str>]) {
        let absent = vec!["-".to_owned()];
        let mut record = JsonRecord::default();
        for row in rows {
            let text = row.join(" ");
            let mut tokens = Vec::new();
            let mut at = 0;
            for v in row {
                tokens.push(Token::plain(at, at + v.len()));
                at += v.len() + 1;
            }
            let (fast_text, fast_spans) = record
                .write(
                    text.as_bytes(),
                    Split::Delimited { delimiter: b' ' },
                    columns,
                    &tokens,
                    &absent,
                )
                .expect("UTF-8");
            let (slow_text, slow_spans) = slow(columns, row);
            assert_eq!(fast_text, slow_text, "{row:?}");
            assert_eq!(fast_spans, slow_spans.as_slice(), "{row:?}");
            serde_json::from_str::<serde_json::Value>(fast_text).expect("JSON");
            assert!(record.plain, "the windowed path was taken");
        }
    }

    #[test]
    fn a_record_cut_on_a_non_ascii_byte_is_checked_whole() {
        // Both fields are UTF-8; the record, with its 0xA0 delimiter, is not.
        let columns = vec![
            Column::new("a", FieldType::Text),
            Column::new("b", FieldType::Text),
        ];
        let tokens = vec![Token::plain(0, 1), Token::plain(2, 3)];
        let mut record = JsonRecord::default();
        let err = record
            .write(
                b"x\xa0y",
                Split::Delimited { delimiter: 0xa0 },
                &columns,
                &tokens,
                &[],
            )
            .expect_err("not UTF-8");
        assert!(err.to_string().contains("invalid UTF-8 at byte 1"), "{err}");
        let (text, _) = record
            .write(
                b"x y",
                Split::Delimited { delimiter: b' ' },
                &columns,
                &tokens,
                &[],
            )
            .expect("UTF-8");
        assert_eq!(text, r#"{"a":"x","b":"y"}"#);
    }
}
