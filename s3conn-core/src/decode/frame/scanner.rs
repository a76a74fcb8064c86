//! The framer's buffer over the decompressed stream: reading ahead, dropping what was framed,
//! skipping whitespace, sampling bad frames and finding line ends.

use std::io::Read;
use std::ops::ControlFlow;

use memchr::memchr;

use super::emit::{Emitter, Location};
use super::Item;
use crate::decode::refill::{Window, READ_CHUNK};
use crate::decode::{DecodeError, Limits};
use crate::json::Validator;

/// Why framing ended early.
pub(super) enum Halt {
    /// The consumer asked to stop.
    Stop,
    /// The input could not be read further.
    Fail(DecodeError),
}

impl From<DecodeError> for Halt {
    fn from(e: DecodeError) -> Self {
        Halt::Fail(e)
    }
}

/// The result of one framing step.
pub(super) type Step<T = ()> = Result<T, Halt>;

/// The UTF-8 byte-order mark, skipped at the start of an object.
pub(super) const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The state of one framing pass: the buffer, the positions in it, and where items go.
pub(super) struct Scanner<'r, 'f> {
    /// The input read so far (`w.buf[..w.end]`, `w.buf[0]` at object offset `w.base`).
    pub(super) w: Window<'r>,
    /// Where items go, and their counts.
    pub(super) emit: Emitter<'f>,
    pub(super) limits: Limits,
    /// Bytes before `anchor` may be discarded.
    pub(super) anchor: usize,
    pub(super) pos: usize,
    /// 1-based line number at `pos`.
    pub(super) line: u64,
    pub(super) validator: Validator,
}

/// Whether `c` can start a JSON value.
#[inline]
pub(super) fn is_value_start(c: u8) -> bool {
    matches!(
        c,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    )
}

/// `b` without leading and trailing ASCII whitespace.
pub(super) fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// A byte for an error message: itself when printable, else its hex code.
pub(super) fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("0x{b:02x}")
    }
}

impl<'r, 'f> Scanner<'r, 'f> {
    /// A pass over `input` that hands items to `on_item`.
    pub(super) fn new(
        input: &'r mut dyn Read,
        limits: &Limits,
        on_item: &'f mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Self {
        Scanner {
            w: Window::new(input),
            emit: Emitter::new(on_item, limits.max_sample_bytes),
            limits: limits.clone(),
            anchor: 0,
            pos: 0,
            line: 1,
            validator: Validator::new(),
        }
    }

    /// The absolute offset of `buf[idx]`.
    #[inline]
    pub(super) fn abs(&self, idx: usize) -> u64 {
        self.w.base + idx as u64
    }

    /// Where `pos` is: its line and absolute offset.
    #[inline]
    pub(super) fn here(&self) -> Location {
        Location {
            line: self.line,
            offset: self.abs(self.pos),
        }
    }

    /// Reads more input after `end`, dropping bytes before `anchor` first. False at end of input.
    pub(super) fn fill(&mut self) -> Result<bool, DecodeError> {
        let filled = self.w.fill(self.anchor)?;
        self.pos -= filled.shift;
        self.anchor -= filled.shift;
        if !filled.more
            && self.w.buf.len() > 4 * READ_CHUNK
            && self.w.end - self.anchor < READ_CHUNK
        {
            self.w.buf.truncate(READ_CHUNK.max(self.w.end));
            self.w.buf.shrink_to_fit();
        }
        Ok(filled.more)
    }

    /// Skips whitespace (and a leading byte-order mark); returns the next byte without consuming it.
    #[inline]
    pub(super) fn skip_ws(&mut self, discard: bool) -> Step<Option<u8>> {
        loop {
            while self.pos < self.w.end {
                match self.w.buf[self.pos] {
                    b' ' | b'\t' | b'\r' => self.pos += 1,
                    b'\n' => {
                        self.line += 1;
                        self.pos += 1;
                    }
                    0xEF if self.abs(self.pos) == 0 => {
                        if self.w.end < 3 && !self.w.eof {
                            break;
                        }
                        if self.w.buf[..self.w.end].starts_with(&BOM) {
                            self.pos += 3;
                        } else {
                            return Ok(Some(0xEF));
                        }
                    }
                    c => return Ok(Some(c)),
                }
            }
            if discard {
                self.anchor = self.pos;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// The first `max_sample_bytes` from absolute offset `start_abs` (or up to the end of input),
    /// reading ahead as needed so the sample does not depend on read sizes. Requires `start_abs`
    /// to be at or after the anchor.
    pub(super) fn sample_at(&mut self, start_abs: u64) -> Result<Vec<u8>, DecodeError> {
        let want = self.limits.max_sample_bytes as u64;
        while self.abs(self.w.end).saturating_sub(start_abs) < want && self.fill()? {}
        let start = start_abs.saturating_sub(self.w.base) as usize;
        let stop = self
            .w
            .end
            .min(start.saturating_add(self.limits.max_sample_bytes));
        Ok(self
            .w
            .buf
            .get(start..stop)
            .map(<[u8]>::to_vec)
            .unwrap_or_default())
    }

    /// Finds the next newline at or after `pos`, keeping the line (from `anchor = pos`) in the buffer
    /// while it is at most `cap` bytes; past that its first bytes are sampled and the rest dropped.
    pub(super) fn find_newline(
        &mut self,
        cap: usize,
    ) -> Result<(Option<usize>, Option<Vec<u8>>), DecodeError> {
        self.anchor = self.pos;
        let mut search_abs = self.abs(self.pos);
        let mut sample = None;
        loop {
            let from = (search_abs - self.w.base) as usize;
            if let Some(k) = memchr(b'\n', &self.w.buf[from..self.w.end]) {
                return Ok((Some(from + k), sample));
            }
            search_abs = self.abs(self.w.end);
            if sample.is_none() && self.w.end - self.anchor > cap {
                // Sampling reads ahead: search what it read before reading more.
                sample = Some(self.sample_at(self.abs(self.anchor))?);
                continue;
            }
            if sample.is_some() {
                self.anchor = self.w.end;
                self.pos = self.w.end;
            }
            if !self.fill()? {
                return Ok((None, sample));
            }
        }
    }
}
