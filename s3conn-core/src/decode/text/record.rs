//! Writing one text record as a JSON object, noting its fields for `Event::parse`.

use super::columns::text_of;
use super::numbers::{is_integer, is_integer_window, is_number};
use super::split::{for_each_delimited, unescape, Escape, Token};
use super::{FieldType, Split};
use crate::decode::BadReason;
use crate::json::{any_needs_escape, write_escaped, write_str, FieldSpan, ValueHint};

/// Bytes copied at once on the fast path: a key or a value up to this long is copied as one
/// fixed-size move (a few register loads and stores, no call), into a canvas with room for it
/// and from a buffer with this much slack past its end.
pub(super) const WINDOW: usize = 32;

/// The canvas a short field (key and value of at most a window each) may touch: the key's
/// window, a quote, the value's window and a quote.
const FIELD: usize = 2 * WINDOW + 2;

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

    /// [`Column::bare_hint`] of `record[start..end]`, where `record` has slack after the value:
    /// a short integer is checked without a loop over its digits.
    #[inline(always)]
    fn bare_hint_in(
        &self,
        record: &[u8],
        start: usize,
        end: usize,
        escape: Escape,
    ) -> Option<ValueHint> {
        let vlen = end - start;
        match record[start..].first_chunk::<16>() {
            Some(window) if vlen <= 16 && self.kind == FieldType::Integer => {
                (escape == Escape::None && is_integer_window(window, vlen))
                    .then_some(ValueHint::Integer)
            }
            _ => self.bare_hint(&record[start..end], escape),
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
            let put_all = |w: &mut Windowed<'_>| {
                tokens
                    .iter()
                    .zip(columns)
                    .all(|(token, column)| w.put(column, token.start, token.end, token.escape))
            };
            let written = self
                .windowed(rec, None, columns, absent, put_all)
                .or_else(|| {
                    // Keys longer than a window took more room than the estimate: make room for
                    // them all and write again.
                    let keys: usize = columns.iter().map(|c| c.prefix.len().max(WINDOW) + 2).sum();
                    self.canvas.resize(room(rec.len(), 0) + keys, 0);
                    self.windowed(rec, None, columns, absent, put_all)
                });
            if let Some(len) = written {
                return self.checked(rec, len);
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

    /// [`JsonRecord::write`] of a record cut at single ASCII `delimiter` bytes into exactly as
    /// many fields as `columns`, straight from its bytes (no tokens in between); `None` when it
    /// takes the general path (another field count, something to escape, keys longer than the
    /// room estimate).
    pub(super) fn write_delimited(
        &mut self,
        rec: &[u8],
        padded: Option<&[u8]>,
        delimiter: u8,
        columns: &[Column],
        absent: &[String],
    ) -> Option<Result<(&str, &[FieldSpan]), BadReason>> {
        self.begin(rec);
        if !self.plain || !delimiter.is_ascii() {
            return None;
        }
        let len = self.windowed(
            rec,
            padded,
            columns,
            absent,
            #[inline(always)]
            |w| {
                let mut at = 0;
                let all = for_each_delimited(
                    rec,
                    delimiter,
                    #[inline(always)]
                    |start, end| {
                        let taken = columns
                            .get(at)
                            .is_some_and(|column| w.put(column, start, end, Escape::None));
                        at += 1;
                        taken
                    },
                );
                all && at == columns.len()
            },
        );
        match len {
            Some(len) => Some(self.checked(rec, len)),
            None => {
                self.spans.clear();
                None
            }
        }
    }

    /// The object written on the windowed path (`canvas[..len]`) as text, and its fields; the
    /// record's UTF-8 error when it is not text.
    fn checked(&self, rec: &[u8], len: usize) -> Result<(&str, &[FieldSpan]), BadReason> {
        match std::str::from_utf8(&self.canvas[..len]) {
            Ok(text) => Ok((text, &self.spans)),
            Err(_) => Err(match text_of(rec) {
                Err(reason) => reason,
                Ok(_) => BadReason::InvalidText {
                    message: "the record's JSON object is not UTF-8".to_owned(),
                },
            }),
        }
    }

    /// Writes a record with nothing to escape onto `canvas` a window at a time: `put_all` puts
    /// its fields; the object's length, or `None` when `put_all` gave up (keys longer than a
    /// window needed more room than `canvas` has, or the fields did not fit the columns).
    /// `padded` is `rec` followed by slack (the reader's buffer): used when it has a window's
    /// worth, else the record is copied into a buffer that has.
    #[inline(always)]
    fn windowed(
        &mut self,
        rec: &[u8],
        padded: Option<&[u8]>,
        columns: &[Column],
        absent: &[String],
        put_all: impl FnOnce(&mut Windowed<'_>) -> bool,
    ) -> Option<usize> {
        let record = match padded {
            Some(padded) if padded.len() >= rec.len() + WINDOW => padded,
            _ => {
                self.padded.clear();
                self.padded.extend_from_slice(rec);
                self.padded.resize(rec.len() + WINDOW, 0);
                &self.padded
            }
        };
        // Room for keys of at most a window; a longer one checks that its excess fits.
        let fits = room(rec.len(), columns.len());
        if self.canvas.len() < fits {
            self.canvas.resize(fits, 0);
        }
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        spans.reserve(columns.len());
        let mut w = Windowed {
            out: &mut self.canvas,
            record,
            spans,
            len: 0,
            need: fits,
            dash_only: matches!(absent, [a] if a == "-"),
            absent,
        };
        let done = put_all(&mut w);
        let (len, spans) = (w.len, w.spans);
        self.spans = spans;
        if !done {
            return None;
        }
        // Every key was written with its comma, the first one too: its comma landed on byte 0,
        // which becomes the `{`.
        self.canvas[0] = b'{';
        let len = len.max(1);
        self.canvas[len] = b'}';
        Some(len + 1)
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

/// The windowed path's state while one record is written: keys and values are copied a window
/// at a time onto `out`, from `record` (the record and `WINDOW` bytes of slack).
struct Windowed<'a> {
    out: &'a mut [u8],
    record: &'a [u8],
    spans: Vec<FieldSpan>,
    /// Bytes written.
    len: usize,
    /// Room the record needs so far.
    need: usize,
    /// `absent` is just `-`.
    dash_only: bool,
    absent: &'a [String],
}

impl Windowed<'_> {
    /// Writes the field `record[start..end]` under `column` (nothing when it is absent); false
    /// when the canvas has no room for a key longer than a window (nothing usable was written).
    #[inline(always)]
    fn put(&mut self, column: &Column, start: usize, end: usize, escape: Escape) -> bool {
        let record = self.record;
        let end = end.max(start);
        let vlen = end - start;
        let gone = if self.dash_only {
            vlen == 1 && record[start] == b'-'
        } else {
            is_absent(self.absent, &record[start..end])
        };
        if gone {
            return true;
        }
        let bare = column.bare_hint_in(record, start, end, escape);
        // The quotes are always written and kept only around a string: a bare number's value
        // overwrites the opening one, the next key the closing one. Every key is written with
        // its comma, the first one too.
        let quoted = usize::from(bare.is_none());
        let plen = column.prefix.len();
        let len = self.len;
        let dst = self
            .out
            .get_mut(len..)
            .and_then(|o| o.first_chunk_mut::<FIELD>());
        let src = record.get(start..).and_then(|r| r.first_chunk::<WINDOW>());
        match (dst, src) {
            // The common case, a key and a value of at most a window: written inside one
            // fixed-size chunk of the canvas, bounds checked once.
            (Some(dst), Some(src)) if plen <= WINDOW && vlen <= WINDOW => {
                dst[..WINDOW].copy_from_slice(&column.window);
                dst[plen] = b'"';
                dst[plen + quoted..plen + quoted + WINDOW].copy_from_slice(src);
                dst[plen + quoted + vlen] = b'"';
            }
            _ => {
                if !self.put_long(column, start, end, quoted) {
                    return false;
                }
            }
        }
        let field_end = len + plen + vlen + 2 * quoted;
        self.len = field_end;
        self.spans.push(FieldSpan {
            key: len + 2..len + plen - 2,
            value: len + plen..field_end,
            key_escaped: column.key_escaped,
            hint: bare.unwrap_or(ValueHint::PlainString),
        });
        true
    }

    /// [`Windowed::put`]'s copies for a key or a value longer than a window; false when the
    /// canvas has no room for the key.
    #[inline(never)]
    fn put_long(&mut self, column: &Column, start: usize, end: usize, quoted: usize) -> bool {
        let (out, record, mut len) = (&mut *self.out, self.record, self.len);
        let plen = column.prefix.len();
        if plen <= WINDOW {
            out[len..len + WINDOW].copy_from_slice(&column.window);
        } else {
            self.need += plen - WINDOW;
            if out.len() < self.need {
                return false;
            }
            out[len..len + plen].copy_from_slice(column.prefix.as_bytes());
        }
        len += plen;
        out[len] = b'"';
        len += quoted;
        let vlen = end - start;
        if vlen <= WINDOW {
            out[len..len + WINDOW].copy_from_slice(&record[start..start + WINDOW]);
        } else {
            out[len..len + vlen].copy_from_slice(&record[start..end]);
        }
        out[len + vlen] = b'"';
        true
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

#[cfg(test)]
mod tests {
    use super::*;

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
            // Straight from the bytes: the same object, with the record copied or read from a
            // buffer with slack after it; a value holding the delimiter changes the field count,
            // and keys longer than the first room estimate need the general path once.
            let mut padded = text.clone().into_bytes();
            padded.extend_from_slice(&[b'x'; WINDOW]);
            let splits = row.iter().any(|v| v.contains(' '));
            let long_keys = columns.iter().any(|c| c.prefix.len() > WINDOW);
            for slack in [None, Some(&padded[..])] {
                let mut fresh = JsonRecord::default();
                // `record`'s canvas was grown by `write` above: only `fresh` may lack room.
                for (json, is_fresh) in [(&mut fresh, true), (&mut record, false)] {
                    match json.write_delimited(text.as_bytes(), slack, b' ', columns, &absent) {
                        Some(written) => {
                            let (text, spans) = written.expect("UTF-8");
                            assert!(!splits, "{row:?}");
                            assert_eq!(text, slow_text, "{row:?}");
                            assert_eq!(spans, slow_spans.as_slice(), "{row:?}");
                        }
                        None => assert!(splits || (long_keys && is_fresh), "{row:?}"),
                    }
                }
            }
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
