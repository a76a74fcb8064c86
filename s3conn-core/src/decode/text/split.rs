//! Cutting one record into field tokens, by [`Split`].

use memchr::{memchr, memchr2};

use super::Split;

/// How a token's text is unescaped when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Escape {
    /// Written as is.
    None,
    /// Inside `"..."` with backslash escapes (`\"`, `\\`).
    Backslash,
    /// Inside a CSV quoted field (`""` is one quote).
    DoubledQuote,
}

/// One field of a record: `record[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) escape: Escape,
}

impl Token {
    pub(super) fn plain(start: usize, end: usize) -> Self {
        Token {
            start,
            end,
            escape: Escape::None,
        }
    }
}

/// Splits `record` into `tokens` (cleared first); an error says what is wrong and where.
pub(super) fn split(split: Split, record: &[u8], tokens: &mut Vec<Token>) -> Result<(), String> {
    tokens.clear();
    match split {
        Split::Delimited { delimiter } => {
            delimited(record, delimiter, tokens);
            Ok(())
        }
        Split::Quoted => quoted(record, tokens),
        Split::Csv { delimiter } => csv(record, delimiter, tokens),
    }
}

/// Fields between single `delimiter` bytes.
fn delimited(record: &[u8], delimiter: u8, tokens: &mut Vec<Token>) {
    for_each_delimited(record, delimiter, |start, end| {
        tokens.push(Token::plain(start, end));
        true
    });
}

/// Calls `field(start, end)` for each field of `record` between single `delimiter` bytes, in
/// order, until it returns false; whether every field was taken. Fields are short (VPC Flow
/// Logs: ~8 bytes): the record is read 64 bytes at a time into a bit mask of its delimiters
/// (eight bytes per step, no branch), and the fields are read off the mask, so the only branch
/// that depends on the text is one per field.
#[inline(always)]
pub(super) fn for_each_delimited(
    record: &[u8],
    delimiter: u8,
    mut field: impl FnMut(usize, usize) -> bool,
) -> bool {
    let (blocks, rest) = record.as_chunks::<64>();
    let mut start = 0;
    let mut base = 0;
    let mut last = [delimiter ^ 1; 64];
    last[..rest.len()].copy_from_slice(rest);
    for block in blocks.iter().chain(std::iter::once(&last)) {
        let mut mask = delimiter_mask(block, delimiter);
        while mask != 0 {
            let at = base + mask.trailing_zeros() as usize;
            if !field(start, at) {
                return false;
            }
            start = at + 1;
            mask &= mask - 1;
        }
        base += 64;
    }
    field(start, record.len())
}

/// Bit `i` set where `block[i]` is `delimiter`.
#[inline(always)]
fn delimiter_mask(block: &[u8; 64], delimiter: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // Gathers the high bit of each byte into the top byte, byte `k`'s to bit 56 + k.
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let broadcast = u64::from(delimiter) * 0x0101_0101_0101_0101;
    let mut mask = 0;
    for (i, word) in block.as_chunks::<8>().0.iter().enumerate() {
        // A byte of `x` is zero exactly where the word holds the delimiter; `hits` gets the high
        // bit of each such byte (exact: no borrow crosses bytes).
        let x = u64::from_le_bytes(*word) ^ broadcast;
        let hits = !(((x & LOW7) + LOW7) | x | LOW7);
        mask |= ((hits >> 7).wrapping_mul(GATHER) >> 56) << (8 * i);
    }
    mask
}

/// Space-separated, with `"..."` (backslash escapes) and `[...]` fields.
fn quoted(record: &[u8], tokens: &mut Vec<Token>) -> Result<(), String> {
    let mut i = 0;
    loop {
        match record.get(i) {
            Some(b'"') => {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                let close = loop {
                    match memchr2(b'"', b'\\', &record[j..]) {
                        None => {
                            return Err(format!("unterminated quote opened at byte {i}"));
                        }
                        Some(k) if record[j + k] == b'\\' => {
                            escaped = true;
                            j += k + 2;
                            if j > record.len() {
                                return Err(format!("unterminated quote opened at byte {i}"));
                            }
                        }
                        Some(k) => break j + k,
                    }
                };
                match record.get(close + 1) {
                    None | Some(b' ') => {
                        tokens.push(Token {
                            start,
                            end: close,
                            escape: if escaped {
                                Escape::Backslash
                            } else {
                                Escape::None
                            },
                        });
                        i = close + 1;
                    }
                    // More text after the closing quote: the field is a list of quoted parts as
                    // AWS writes it (NLB `"h2","http/1.1"`), kept whole, quotes included.
                    Some(_) => {
                        i = compound_end(record, close + 1)
                            .map_err(|at| format!("unterminated quote opened at byte {at}"))?;
                        tokens.push(Token::plain(start - 1, i));
                    }
                }
                if i < record.len() {
                    i += 1;
                } else {
                    return Ok(());
                }
            }
            // `[...]` up to a `]` that ends the field (a time with a space in it); `[::1]:80`
            // is a plain field.
            Some(b'[')
                if memchr(b']', &record[i..])
                    .is_some_and(|k| matches!(record.get(i + k + 1), None | Some(b' '))) =>
            {
                let close = i + memchr(b']', &record[i..]).unwrap_or(0);
                tokens.push(Token::plain(i + 1, close));
                i = close + 1;
                if i < record.len() {
                    i += 1;
                } else {
                    return Ok(());
                }
            }
            _ => match memchr(b' ', &record[i..]) {
                Some(k) => {
                    tokens.push(Token::plain(i, i + k));
                    i += k + 1;
                }
                None => {
                    tokens.push(Token::plain(i, record.len()));
                    return Ok(());
                }
            },
        }
    }
}

/// Where a field that continues after a closing quote at `from` ends: the first space outside
/// quotes (or the record's end); the opening byte of an unterminated quote is the error.
fn compound_end(record: &[u8], mut from: usize) -> Result<usize, usize> {
    loop {
        match memchr2(b' ', b'"', &record[from..]) {
            None => return Ok(record.len()),
            Some(k) if record[from + k] == b' ' => return Ok(from + k),
            Some(k) => {
                let open = from + k;
                let mut j = open + 1;
                loop {
                    match memchr2(b'"', b'\\', &record[j..]) {
                        None => return Err(open),
                        Some(m) if record[j + m] == b'\\' => {
                            j += m + 2;
                            if j > record.len() {
                                return Err(open);
                            }
                        }
                        Some(m) => {
                            from = j + m + 1;
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// RFC 4180 fields separated by `delimiter`.
fn csv(record: &[u8], delimiter: u8, tokens: &mut Vec<Token>) -> Result<(), String> {
    let mut i = 0;
    loop {
        if record.get(i) == Some(&b'"') {
            let start = i + 1;
            let mut j = start;
            let mut doubled = false;
            let close = loop {
                let Some(k) = memchr(b'"', &record[j..]) else {
                    return Err(format!("unterminated quote opened at byte {i}"));
                };
                if record.get(j + k + 1) == Some(&b'"') {
                    doubled = true;
                    j += k + 2;
                } else {
                    break j + k;
                }
            };
            tokens.push(Token {
                start,
                end: close,
                escape: if doubled {
                    Escape::DoubledQuote
                } else {
                    Escape::None
                },
            });
            i = close + 1;
            match record.get(i) {
                None => return Ok(()),
                Some(&c) if c == delimiter => i += 1,
                Some(_) => {
                    return Err(format!(
                        "unexpected text after the quote closed at byte {close}"
                    ))
                }
            }
        } else {
            match memchr(delimiter, &record[i..]) {
                Some(k) => {
                    tokens.push(Token::plain(i, i + k));
                    i += k + 1;
                }
                None => {
                    tokens.push(Token::plain(i, record.len()));
                    return Ok(());
                }
            }
        }
    }
}

/// The token's text with its escapes decoded, appended to `out`.
pub(super) fn unescape(text: &str, escape: Escape, out: &mut String) {
    match escape {
        Escape::None => out.push_str(text),
        Escape::DoubledQuote => out.push_str(&text.replace("\"\"", "\"")),
        Escape::Backslash => {
            let mut chars = text.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some(n @ ('"' | '\\')) => out.push(n),
                    Some(n) => {
                        out.push('\\');
                        out.push(n);
                    }
                    None => out.push('\\'),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimited_agrees_with_a_byte_loop() {
        let cases: [&[u8]; 9] = [
            b"",
            b" ",
            b"a",
            b"2 123456789012 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
            b"  a  b  ",
            b"12345678 12345678",
            b"1234567 ",
            b"\xff\x80 \x80\xff \x20\xa0",
            b"        ",
        ];
        // Records of every length to 200 bytes (one and more 64-byte blocks, delimiters at
        // block edges), from a fixed pseudo-random sequence over a few bytes.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut generated: Vec<Vec<u8>> = Vec::new();
        for len in 0..200 {
            let record = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    b" ,a\xa0\xa1"[(state % 5) as usize]
                })
                .collect();
            generated.push(record);
        }
        let cases = cases.into_iter().chain(generated.iter().map(Vec::as_slice));
        for (case, delimiter) in cases.flat_map(|c| [(c, b' '), (c, b','), (c, 0xa0)]) {
            let mut want = Vec::new();
            let mut start = 0;
            for (at, &b) in case.iter().enumerate() {
                if b == delimiter {
                    want.push(Token::plain(start, at));
                    start = at + 1;
                }
            }
            want.push(Token::plain(start, case.len()));
            let mut got = Vec::new();
            delimited(case, delimiter, &mut got);
            assert_eq!(got, want, "{case:?} split on {delimiter}");
        }
    }

    fn texts(record: &str) -> Result<Vec<&str>, String> {
        let mut tokens = Vec::new();
        split(Split::Quoted, record.as_bytes(), &mut tokens)?;
        Ok(tokens.iter().map(|t| &record[t.start..t.end]).collect())
    }

    #[test]
    fn a_quoted_list_is_one_field_kept_whole() {
        assert_eq!(
            texts(r#"h2 h2 "h2","http/1.1""#).unwrap(),
            ["h2", "h2", r#""h2","http/1.1""#]
        );
        assert_eq!(
            texts(r#""a","b c" - "x""#).unwrap(),
            [r#""a","b c""#, "-", "x"]
        );
        assert_eq!(
            texts(r#""a \"q\"" [06/Feb/2019:00:00:38 +0000] z"#).unwrap(),
            [r#"a \"q\""#, "06/Feb/2019:00:00:38 +0000", "z"]
        );
        assert_eq!(
            texts(r#"x "h2","http/1.1"#).unwrap_err(),
            "unterminated quote opened at byte 7"
        );
    }
}
