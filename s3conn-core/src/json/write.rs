//! Writing JSON output by hand: strings escaped exactly as `serde_json` does, integers without the
//! formatting machinery, and pretty-printed text made single-line.

/// Whether a byte must be escaped inside a JSON string (`"`, `\` and control characters).
#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether any byte of `block` must be escaped, without branches (vectorized).
#[inline(always)]
fn block_needs_escape(block: &[u8; 16]) -> bool {
    let mut hit = false;
    for &b in block {
        hit |= needs_escape(b);
    }
    hit
}

/// Whether any byte of `bytes` must be escaped; branch-free over 16-byte blocks.
#[inline]
pub(crate) fn any_needs_escape(bytes: &[u8]) -> bool {
    let (blocks, rest) = bytes.as_chunks::<16>();
    if blocks.iter().any(block_needs_escape) {
        return true;
    }
    match bytes.last_chunk::<16>() {
        // The last 16 bytes as one more block (overlapping blocks already read) instead of
        // the remainder byte by byte.
        Some(last) if !rest.is_empty() => block_needs_escape(last),
        _ => rest.iter().any(|&b| needs_escape(b)),
    }
}

/// Appends `s` as a JSON string literal, escaped byte for byte as `serde_json` escapes it.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.push(b'"');
    if !any_needs_escape(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xF)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends the escaped text of `s` (no quotes) to a `String`, as [`write_str`] escapes it:
/// the text stays a `String`, never validated as UTF-8 again. Whether anything was escaped.
pub(crate) fn write_escaped(out: &mut String, s: &str) -> bool {
    let bytes = s.as_bytes();
    if !any_needs_escape(bytes) {
        out.push_str(s);
        return false;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        // `i` is an ASCII byte: a character boundary.
        out.push_str(s.get(start..i).unwrap_or(""));
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    true
}

/// Appends the decimal digits of `n`.
pub fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends the decimal digits of `n`, with a leading `-` when negative.
pub fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

/// Appends valid JSON `text` on one line: whitespace outside strings (insignificant) is dropped
/// when the text has line breaks; values are untouched.
pub fn write_single_line(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if memchr::memchr2(b'\n', b'\r', bytes).is_none() {
        out.extend_from_slice(bytes);
        return;
    }
    out.reserve(bytes.len());
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
            out.push(b);
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let cases = [
            "",
            "plain ascii",
            "quote \" backslash \\ slash /",
            "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "unicode é ✓ 𝄞 and a long tail to pass the sixteen byte block \u{1}",
            "0123456789abcdef0123456789abcdef\"",
        ];
        for s in cases {
            let mut ours = Vec::new();
            write_str(&mut ours, s);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn any_needs_escape_sees_each_position_of_blocks_and_tails() {
        for len in 0..70 {
            let plain = vec![b'a'; len];
            assert!(!any_needs_escape(&plain), "len {len}");
            for at in 0..len {
                for bad in [b'"', b'\\', b'\n', 0x1f] {
                    let mut bytes = plain.clone();
                    bytes[at] = bad;
                    assert!(any_needs_escape(&bytes), "len {len}, byte {bad} at {at}");
                }
            }
        }
        // Bytes from 0x20 up (UTF-8 included) need no escape but `"` and `\`.
        let all: Vec<u8> = (0x20..=0xffu8)
            .filter(|b| !matches!(b, b'"' | b'\\'))
            .collect();
        assert!(!any_needs_escape(&all));
    }

    #[test]
    fn integers_match_display() {
        for n in [0i64, 7, -7, 10, 1_700_000_000_123, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            write_i64(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
        let mut out = Vec::new();
        write_u64(&mut out, u64::MAX);
        assert_eq!(String::from_utf8(out).unwrap(), u64::MAX.to_string());
    }

    #[test]
    fn pretty_text_becomes_one_line_with_values_untouched() {
        let mut out = Vec::new();
        write_single_line(
            &mut out,
            "{\n  \"a b\": \"x \\\" y\",\r\n  \"c\": [1, 2]\n}",
        );
        assert_eq!(out, b"{\"a b\":\"x \\\" y\",\"c\":[1,2]}");
        out.clear();
        write_single_line(&mut out, "{\"a\": 1}");
        assert_eq!(out, b"{\"a\": 1}");
    }
}
