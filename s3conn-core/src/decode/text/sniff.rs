//! JSON or text, and text or binary: a look at the first decompressed bytes (nothing consumed).

use std::io::{self, Cursor, Read};

use crate::decode::DecodeError;
use crate::json::{Prefix, Validator};

/// Bytes looked at before choosing.
const WINDOW: usize = 64 * 1024;

/// What the decompressed bytes hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Content {
    /// The first non-blank byte is `{` or `[` and what follows is JSON as far as it goes.
    Json,
    /// Text (no NUL byte, valid UTF-8 in the window).
    Text,
}

/// Reads up to [`WINDOW`] bytes, decides, and returns a reader of all the bytes again.
pub(crate) fn sniff<'a, 'r>(
    reader: &'a mut (dyn Read + Send + 'r),
) -> Result<(Content, impl Read + use<'a, 'r>), DecodeError> {
    let mut prefix = Vec::with_capacity(WINDOW.min(16 * 1024));
    let mut chunk = [0u8; 8192];
    while prefix.len() < WINDOW {
        let want = (WINDOW - prefix.len()).min(chunk.len());
        match reader.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => prefix.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DecodeError::from_io(e, prefix.len() as u64)),
        }
    }
    let content = classify(&prefix, prefix.len() < WINDOW)?;
    Ok((content, Cursor::new(prefix).chain(reader)))
}

/// Decides from the first bytes (`whole` when they are the whole object).
pub(crate) fn classify(prefix: &[u8], whole: bool) -> Result<Content, DecodeError> {
    let body = prefix.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(prefix);
    let lead = body.iter().take_while(|b| b.is_ascii_whitespace()).count();
    if matches!(body.get(lead), Some(b'{' | b'[')) {
        // JSON unless its grammar breaks within the window (`[06/Feb/2019:00:00:38 +0000] …`).
        let prefix = Validator::new().check_prefix(&body[lead..]);
        if prefix != Prefix::Invalid {
            return Ok(Content::Json);
        }
    }
    if let Some(at) = memchr::memchr(0, prefix) {
        return Err(DecodeError::NotText {
            offset: at as u64,
            reason: "a NUL byte: binary data, not text".to_owned(),
        });
    }
    // A stray invalid byte is one bad record (dead-lettered); many are binary data.
    let mut odd = 0usize;
    let mut first_odd = None;
    let mut at = 0usize;
    let chunks: Vec<_> = prefix.utf8_chunks().collect();
    let last = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.iter().enumerate() {
        let controls = chunk
            .valid()
            .bytes()
            .filter(|b| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
            .count();
        let cut_at_window_end =
            i == last && !whole && chunk.valid().len() + chunk.invalid().len() > 0;
        let invalid = if cut_at_window_end {
            0
        } else {
            chunk.invalid().len()
        };
        if (controls > 0 || invalid > 0) && first_odd.is_none() {
            first_odd = Some(at);
        }
        odd += controls + invalid;
        at += chunk.valid().len() + chunk.invalid().len();
    }
    if odd > 0 && odd * 100 >= prefix.len() {
        let offset = first_odd.unwrap_or(0);
        return Err(DecodeError::NotText {
            offset: offset as u64,
            reason: format!(
                "{odd} control or invalid UTF-8 bytes in the first {} bytes: binary data, not text",
                prefix.len()
            ),
        });
    }
    Ok(Content::Text)
}
