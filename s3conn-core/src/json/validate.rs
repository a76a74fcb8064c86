//! A JSON validator without recursion or allocation per value, that also notes where the
//! top-level fields of an object are, so a source can read the few fields it needs without parsing
//! the event again.
//!
//! It accepts exactly what `serde_json::from_slice::<&RawValue>` accepts (one value, RFC 8259
//! grammar, no control characters in strings, valid escapes, valid UTF-8), except that it has no
//! recursion limit: nesting depth is bounded by the framer's `Limits::max_depth` instead. The fuzz
//! target `validate` checks the two agree.

use std::ops::Range;

/// Why a text is not valid JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What was wrong.
    pub message: &'static str,
    /// Byte offset of the problem in the text.
    pub offset: usize,
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column (in bytes) of the problem.
    pub column: usize,
}

impl SyntaxError {
    /// The error `message` at `offset` of `bytes`, with its line and column.
    pub(crate) fn at(bytes: &[u8], offset: usize, message: &'static str) -> Self {
        let before = &bytes[..offset.min(bytes.len())];
        let line = 1 + memchr::memchr_iter(b'\n', before).count();
        let column = 1 + before.len() - memchr::memrchr(b'\n', before).map_or(0, |p| p + 1);
        SyntaxError {
            message,
            offset,
            line,
            column,
        }
    }
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for SyntaxError {}

/// One top-level field of a validated object: where its key (inside the quotes, still escaped)
/// and its value are in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpan {
    /// The key's bytes between the quotes (escapes not decoded).
    pub key: Range<usize>,
    /// The value's bytes.
    pub value: Range<usize>,
    /// Whether the key contains a backslash escape.
    pub key_escaped: bool,
    /// What the writer of the value already knows of it (the text decoder), so reading it
    /// needs no JSON parser.
    pub hint: ValueHint,
}

/// What is known of a field's value text without parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueHint {
    /// Nothing: the value is parsed as JSON.
    #[default]
    Json,
    /// A string without escapes: its value is the text between the quotes.
    PlainString,
    /// An integer `-?(0|[1-9][0-9]*)` of at most 19 digits.
    Integer,
}

/// How a value ends in bytes that may be only the beginning of a text (see
/// [`Validator::check_prefix`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prefix {
    /// The value is complete and valid in grammar; it ends at this offset.
    Complete(usize),
    /// The bytes end before the value does, and are valid so far.
    Incomplete,
    /// The value is invalid, whatever follows.
    Invalid,
}

/// Bytes between where the validator reports a text cut inside a token and the cut: a `\uXXXX`
/// escape is reported at its backslash.
const LONGEST_CUT_TOKEN: usize = 6;

/// A reusable validator (keeps its stack and field list between texts).
#[derive(Debug, Default, Clone)]
pub struct Validator {
    /// Open containers: `true` for objects.
    stack: Vec<bool>,
    deepest: usize,
    fields: Vec<FieldSpan>,
}

const WS: [bool; 256] = {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

#[inline]
fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && WS[usize::from(bytes[i])] {
        i += 1;
    }
    i
}

/// Lowest byte of `x` (little-endian) that is `"`, `\` or below 0x20, as a bit mask (high bits of
/// such bytes; bits above the first hit may be spurious).
#[inline]
fn special_mask(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let quote = x ^ (ONES * u64::from(b'"'));
    let backslash = x ^ (ONES * u64::from(b'\\'));
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    zero(quote) | zero(backslash) | control
}

/// Position after the closing quote of the string whose opening quote is at `i - 1`, and whether
/// it had escapes.
#[inline]
fn scan_string(bytes: &[u8], mut i: usize) -> Result<(usize, bool), (usize, &'static str)> {
    let mut escaped = false;
    loop {
        // Eight bytes at a time to the next quote, backslash or control character.
        while i + 8 <= bytes.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[i..i + 8]);
            let mask = special_mask(u64::from_le_bytes(word));
            if mask != 0 {
                i += (mask.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        while i < bytes.len() && !matches!(bytes[i], b'"' | b'\\' | 0..=0x1F) {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err((i, "EOF while parsing a string")),
            Some(b'"') => return Ok((i + 1, escaped)),
            Some(b'\\') => {
                escaped = true;
                match bytes.get(i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u') => {
                        let hex = bytes.get(i + 2..i + 6);
                        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                            return Err((i, "invalid \\u escape"));
                        }
                        i += 6;
                    }
                    None => return Err((i, "EOF while parsing a string")),
                    Some(_) => return Err((i, "invalid escape")),
                }
            }
            Some(_) => return Err((i, "control character (\\u0000-\\u001F) found in a string")),
        }
    }
}

#[inline]
fn skip_digits(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    i
}

fn scan_number(bytes: &[u8], mut i: usize) -> Result<usize, (usize, &'static str)> {
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = skip_digits(bytes, i + 1),
        _ => return Err((i, "invalid number")),
    }
    if bytes.get(i) == Some(&b'.') {
        if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return Err((i + 1, "invalid number"));
        }
        i = skip_digits(bytes, i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
            return Err((i, "invalid number"));
        }
        i = skip_digits(bytes, i);
    }
    Ok(i)
}

impl Validator {
    /// A validator.
    pub fn new() -> Self {
        Self::default()
    }

    /// The top-level fields of the last text validated, when it was an object (in order; empty
    /// otherwise).
    pub fn fields(&self) -> &[FieldSpan] {
        &self.fields
    }

    /// The deepest nesting of the last text validated (up to where it ended, when invalid).
    pub fn deepest(&self) -> usize {
        self.deepest
    }

    /// Checks that `bytes` is exactly one JSON value (surrounding whitespace allowed).
    pub fn validate<'b>(&mut self, bytes: &'b [u8]) -> Result<&'b str, SyntaxError> {
        self.fields.clear();
        self.stack.clear();
        self.deepest = 0;
        match self.run(bytes, false) {
            Ok(_) => std::str::from_utf8(bytes)
                .map_err(|e| SyntaxError::at(bytes, e.valid_up_to(), "invalid UTF-8")),
            Err((offset, message)) => Err(SyntaxError::at(bytes, offset, message)),
        }
    }

    /// Checks the grammar (not the UTF-8) of the one value that starts at `bytes[0]` and returns
    /// where it ends; `None` when it is invalid or incomplete. Fields and depth are noted as by
    /// [`Validator::validate`].
    pub fn validate_prefix(&mut self, bytes: &[u8]) -> Option<usize> {
        self.fields.clear();
        self.stack.clear();
        self.deepest = 0;
        self.run(bytes, true).ok()
    }

    /// How the value that starts at `bytes[0]` ends when `bytes` may be only the beginning of the
    /// text: complete (and where), cut off by the end of `bytes`, or invalid whatever follows.
    pub(crate) fn check_prefix(&mut self, bytes: &[u8]) -> Prefix {
        self.fields.clear();
        self.stack.clear();
        self.deepest = 0;
        match self.run(bytes, true) {
            Ok(end) => Prefix::Complete(end),
            // A cut inside a token (`tru`, `\u12`) is reported at most this far before the end.
            Err((offset, _)) if bytes.len().saturating_sub(offset) <= LONGEST_CUT_TOKEN => {
                Prefix::Incomplete
            }
            Err(_) => Prefix::Invalid,
        }
    }

    /// Reads a key and its `:` at `i` (just after `{` or `,` and whitespace); returns the position
    /// of the value.
    #[inline]
    fn key(&mut self, bytes: &[u8], i: usize) -> Result<usize, (usize, &'static str)> {
        if bytes.get(i) != Some(&b'"') {
            return Err((i, "key must be a string"));
        }
        let (end, escaped) = scan_string(bytes, i + 1)?;
        let j = skip_ws(bytes, end);
        if bytes.get(j) != Some(&b':') {
            return Err((j, "expected ':'"));
        }
        let v = skip_ws(bytes, j + 1);
        if self.stack.len() == 1 {
            self.fields.push(FieldSpan {
                key: i + 1..end - 1,
                value: v..v,
                key_escaped: escaped,
                hint: ValueHint::Json,
            });
        }
        Ok(v)
    }

    /// Validates from `bytes[0]`; returns where the value ends. With `prefix`, bytes after the value
    /// are not looked at; without, only whitespace may follow it.
    fn run(&mut self, bytes: &[u8], prefix: bool) -> Result<usize, (usize, &'static str)> {
        let mut i = skip_ws(bytes, 0);
        'value: loop {
            // A value starts at `i`.
            match bytes.get(i) {
                Some(&open @ (b'{' | b'[')) => {
                    let object = open == b'{';
                    let j = skip_ws(bytes, i + 1);
                    self.deepest = self.deepest.max(self.stack.len() + 1);
                    if bytes.get(j) == Some(if object { &b'}' } else { &b']' }) {
                        i = j + 1;
                    } else {
                        self.stack.push(object);
                        i = if object { self.key(bytes, j)? } else { j };
                        continue 'value;
                    }
                }
                Some(b'"') => i = scan_string(bytes, i + 1)?.0,
                Some(b'-' | b'0'..=b'9') => i = scan_number(bytes, i)?,
                Some(b't') if bytes[i..].starts_with(b"true") => i += 4,
                Some(b'f') if bytes[i..].starts_with(b"false") => i += 5,
                Some(b'n') if bytes[i..].starts_with(b"null") => i += 4,
                Some(_) => return Err((i, "expected value")),
                None => return Err((i, "EOF while parsing a value")),
            }
            // After a value: `,` and the next, or closing brackets.
            loop {
                if self.stack.len() == 1 {
                    if let Some(f) = self.fields.last_mut() {
                        if f.value.end == f.value.start {
                            f.value.end = i;
                        }
                    }
                }
                let Some(&in_object) = self.stack.last() else {
                    let end = i;
                    if prefix {
                        return Ok(end);
                    }
                    return if skip_ws(bytes, i) == bytes.len() {
                        Ok(end)
                    } else {
                        Err((skip_ws(bytes, i), "trailing characters"))
                    };
                };
                i = skip_ws(bytes, i);
                match bytes.get(i) {
                    Some(b',') => {
                        let j = skip_ws(bytes, i + 1);
                        i = if in_object { self.key(bytes, j)? } else { j };
                        continue 'value;
                    }
                    Some(b'}') if in_object => {
                        self.stack.pop();
                        i += 1;
                    }
                    Some(b']') if !in_object => {
                        self.stack.pop();
                        i += 1;
                    }
                    Some(_) if in_object => return Err((i, "expected ',' or '}'")),
                    Some(_) => return Err((i, "expected ',' or ']'")),
                    None => return Err((i, "EOF while parsing")),
                }
            }
        }
    }
}

/// Checks that `bytes` is exactly one JSON value; see [`Validator`].
pub fn validate(bytes: &[u8]) -> Result<&str, SyntaxError> {
    Validator::new().validate(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_ok(text: &[u8]) -> bool {
        serde_json::from_slice::<&serde_json::value::RawValue>(text).is_ok()
    }

    #[test]
    fn agrees_with_serde_json() {
        let cases: &[&[u8]] = &[
            b"{}",
            b" [ ] ",
            b"{\"a\":1,\"b\":[true,false,null,-0.5e+3,\"x\\\"y\\u00e9\"],\"c\":{}}",
            b"\"\xc3\xa9\"",
            b"0",
            b"-",
            b"01",
            b"1.",
            b"1e",
            b".5",
            b"+1",
            b"1e400",
            b"[1,]",
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{1:2}",
            b"[1 2]",
            b"[",
            b"{\"a\":",
            b"\"abc",
            b"\"a\x01b\"",
            b"\"\\x\"",
            b"\"\\u12g4\"",
            b"\"\\ud800\"",
            b"\"\xff\"",
            b"tru",
            b"true false",
            b"nul",
            b"{\"a\":[{\"b\":[[]]}]}]",
            b"\"0123456789abcdef\\n0123456789\\\\\"",
            b"\"0123456789abc\x1fdef\"",
            b"",
            b"   ",
            b"\xef\xbb\xbf{}",
        ];
        for &c in cases {
            assert_eq!(
                validate(c).is_ok(),
                serde_ok(c),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
    }

    #[test]
    fn top_level_fields_are_noted() {
        let text = br#" {"a": 1 , "b\"c":{"x":[1,2]}, "d" : "s" } "#;
        let mut v = Validator::new();
        v.validate(text).unwrap();
        let got: Vec<(&[u8], &[u8], bool)> = v
            .fields()
            .iter()
            .map(|f| (&text[f.key.clone()], &text[f.value.clone()], f.key_escaped))
            .collect();
        assert_eq!(
            got,
            vec![
                (&b"a"[..], &b"1"[..], false),
                (&b"b\\\"c"[..], &b"{\"x\":[1,2]}"[..], true),
                (&b"d"[..], &b"\"s\""[..], false),
            ]
        );
        v.validate(b"[1,{\"a\":2}]").unwrap();
        assert!(v.fields().is_empty());
    }

    #[test]
    fn errors_name_the_place() {
        let e = validate(b"{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!(e.to_string(), "expected value at line 2 column 8");
        let e = validate(b"{\"a\":\"\xff\"}").unwrap_err();
        assert_eq!(e.message, "invalid UTF-8");
        assert_eq!(e.offset, 6);
    }

    #[test]
    fn a_prefix_ends_where_its_value_ends() {
        let mut v = Validator::new();
        assert_eq!(v.validate_prefix(b"{\"a\":[1]} ,{\"b\":2}"), Some(9));
        assert_eq!(v.fields().len(), 1);
        assert_eq!(v.validate_prefix(b"[[], {}]]"), Some(8));
        assert_eq!(v.deepest(), 2);
        assert_eq!(v.validate_prefix(b"{\"a\":[1"), None);
        assert_eq!(v.validate_prefix(b"{\"a\" 1}"), None);
    }

    #[test]
    fn a_cut_prefix_is_incomplete_and_a_broken_one_invalid() {
        let mut v = Validator::new();
        let text = br#"{"a": [1, -2.5e+3, true, false, null, "x\u00e9\"y"], "b": {}}"#;
        assert_eq!(v.check_prefix(text), Prefix::Complete(text.len()));
        for cut in 0..text.len() {
            assert_eq!(
                v.check_prefix(&text[..cut]),
                Prefix::Incomplete,
                "{:?}",
                String::from_utf8_lossy(&text[..cut])
            );
        }
        assert_eq!(v.check_prefix(b"{\"a\":1}{\"b\":2}"), Prefix::Complete(7));
        assert_eq!(
            v.check_prefix(b"{\"b\":\n{\"c\":3}\n{\"e\":5}"),
            Prefix::Invalid
        );
        assert_eq!(v.check_prefix(b"not json at all"), Prefix::Invalid);
    }

    #[test]
    fn deep_nesting_needs_no_recursion() {
        let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(validate(deep.as_bytes()).is_ok());
    }
}
