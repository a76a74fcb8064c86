//! The number grammars a text field is checked against before it is written bare, as a JSON
//! number: integers (typed columns such as VPC Flow Logs' ports and byte counts) and numbers.

/// `-?(0|[1-9][0-9]*)`, at most 19 digits (an i64 or u64 without loss).
#[inline]
pub(super) fn is_integer(b: &[u8]) -> bool {
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

/// `UP_TO[n]`: the low `n` bytes of a `u128` set (a table, not a variable 128-bit shift).
const UP_TO: [u128; 17] = {
    let mut masks = [0u128; 17];
    let mut n = 1;
    while n < 17 {
        masks[n] = (masks[n - 1] << 8) | 0xff;
        n += 1;
    }
    masks
};

/// [`is_integer`] of `window[..len]` (`len` at most 16), without a loop: the 16 bytes are
/// checked at once as one number and the bytes past `len` ignored.
#[inline(always)]
pub(super) fn is_integer_window(window: &[u8; 16], len: usize) -> bool {
    const ONES: u128 = u128::from_le_bytes([1; 16]);
    let negative = window[0] == b'-';
    let skip = usize::from(negative);
    let digits = len.wrapping_sub(skip);
    // The sign becomes `=`: not a digit, and it borrows nothing from the next byte.
    let x = u128::from_le_bytes(*window) | (u128::from(negative) * 0x10);
    // A byte's high bit is set unless it is `0`..=`9`; a carry or borrow into the next byte
    // starts only at a byte that is not a digit, so it never hides one.
    let not_digit =
        (x.wrapping_sub(ONES * b'0' as u128) | x.wrapping_add(ONES * 0x46)) & (ONES * 0x80);
    let upto = UP_TO.get(len).copied().unwrap_or(u128::MAX);
    let from = !(u128::from(negative) * 0xff);
    let leading_zero = digits > 1 && window[skip] == b'0';
    not_digit & upto & from == 0 && (1..=19).contains(&digits) && !leading_zero
}

/// The JSON number grammar.
pub(super) fn is_number(b: &[u8]) -> bool {
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
    fn the_window_integer_check_is_the_integer_check() {
        // Every text to 16 bytes over a few bytes, with garbage after it in the window.
        let alphabet = b"0123456789-+. a/:\xff";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..200_000 {
            let mut window = [0u8; 16];
            for b in &mut window {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = alphabet[(state % alphabet.len() as u64) as usize];
            }
            // Mostly digits, so that integers are common.
            let len = (state >> 32) as usize % 17;
            for b in window
                .iter_mut()
                .take(len)
                .skip(usize::from(state & 1 == 0))
            {
                if state & 6 != 0 {
                    *b = b'0' + (*b % 10);
                }
            }
            assert_eq!(
                is_integer_window(&window, len),
                is_integer(&window[..len]),
                "{:?}",
                String::from_utf8_lossy(&window[..len])
            );
        }
        for text in [
            "0",
            "-0",
            "-",
            "",
            "7",
            "-12",
            "007",
            "-01",
            "1234567890123456",
        ] {
            let mut window = [b'5'; 16];
            window[..text.len()].copy_from_slice(text.as_bytes());
            assert_eq!(
                is_integer_window(&window, text.len()),
                is_integer(text.as_bytes()),
                "{text}"
            );
        }
    }

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
}
