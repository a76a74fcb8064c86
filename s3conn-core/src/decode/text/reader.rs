//! The text framer's buffer over the decompressed stream: one line (or one CSV record, whose
//! quoted fields may hold newlines) at a time, memory bounded by `max_record_bytes`.

use std::io::Read;

use memchr::{memchr, memchr2};

use crate::decode::refill::Window;
use crate::decode::DecodeError;

/// One line or record read.
#[derive(Debug)]
pub(super) enum Raw {
    /// The record is `buf[start..end]` (without its line end).
    Record {
        /// 1-based line where it starts.
        line: u64,
        /// Byte offset where it starts.
        offset: u64,
    },
    /// The record is longer than the limit: its first bytes, the rest skipped.
    TooLarge {
        /// Its first bytes.
        sample: Vec<u8>,
        /// 1-based line where it starts.
        line: u64,
        /// Byte offset where it starts.
        offset: u64,
    },
}

/// Reads records from a decompressed stream.
pub(super) struct RecordReader<'r> {
    /// The input read so far (`w.buf[..w.end]`, `w.buf[0]` at object offset `w.base`).
    w: Window<'r>,
    /// Start of the current record (bytes before it may be dropped).
    pos: usize,
    /// End of the current record (after `next`).
    rec_end: usize,
    /// 1-based line of the next record.
    line: u64,
    /// CSV quoting: a `"` opens a quoted part in which newlines do not end the record.
    csv: bool,
    max_record: usize,
    max_sample: usize,
}

impl<'r> RecordReader<'r> {
    /// A reader of lines (or of CSV records when `csv`).
    pub(super) fn new(
        input: &'r mut dyn Read,
        csv: bool,
        max_record: usize,
        max_sample: usize,
    ) -> Self {
        RecordReader {
            w: Window::new(input),
            pos: 0,
            rec_end: 0,
            line: 1,
            csv,
            max_record,
            max_sample,
        }
    }

    /// The bytes of the record `next` returned as [`Raw::Record`] (line end and `\r` removed),
    /// and the same bytes followed by up to `slack` more of the buffer
    /// (what comes after the record, or stale bytes past the input read so far): room for copies
    /// of a fixed width that read past a field's end.
    pub(super) fn record_and_slack(&self, slack: usize) -> (&[u8], &[u8]) {
        let buf = &self.w.buf;
        let (mut start, mut end) = (self.pos, self.rec_end);
        if self.w.base == 0 && start == 0 && buf[start..end].starts_with(&[0xEF, 0xBB, 0xBF]) {
            start += 3;
        }
        if end > start && buf[end - 1] == b'\r' {
            end -= 1;
        }
        (&buf[start..end], &buf[start..(end + slack).min(buf.len())])
    }

    /// Reads more after `end`, dropping the bytes before `pos` first. False at end of input.
    fn fill(&mut self) -> Result<bool, DecodeError> {
        let filled = self.w.fill(self.pos)?;
        self.pos -= filled.shift;
        self.rec_end = self.rec_end.saturating_sub(filled.shift);
        Ok(filled.more)
    }

    /// Where the record from `from` ends (the index of its newline) in `buf[from..end]`,
    /// carrying the CSV quote state; `None` when it does not end there.
    fn find_end(&self, from: usize, quoted: &mut bool) -> Option<usize> {
        let hay = &self.w.buf[from..self.w.end];
        if !self.csv {
            return memchr(b'\n', hay).map(|k| from + k);
        }
        let mut i = 0;
        while let Some(k) = memchr2(b'"', b'\n', &hay[i..]) {
            let j = i + k;
            if hay[j] == b'"' {
                *quoted = !*quoted;
            } else if !*quoted {
                return Some(from + j);
            }
            i = j + 1;
        }
        None
    }

    /// The next record; `None` at the end of input.
    pub(super) fn next(&mut self) -> Result<Option<Raw>, DecodeError> {
        // Consume the previous record and its newline.
        if self.rec_end > self.pos || (self.rec_end == self.pos && self.rec_end < self.w.end) {
            self.pos = (self.rec_end + 1).min(self.w.end);
        }
        let line = self.line;
        let mut quoted = false;
        let mut scan = self.pos;
        let offset_of = |s: &Self| s.w.base + s.pos as u64;
        loop {
            if let Some(nl) = self.find_end(scan, &mut quoted) {
                if nl - self.pos > self.max_record {
                    return self.too_large(nl, line, quoted).map(Some);
                }
                self.rec_end = nl;
                self.line += 1 + self.newlines_inside();
                return Ok(Some(Raw::Record {
                    line,
                    offset: offset_of(self),
                }));
            }
            if self.w.end - self.pos > self.max_record {
                return self.too_large(self.w.end, line, quoted).map(Some);
            }
            let scanned = self.w.end - self.pos;
            if !self.fill()? {
                if self.pos >= self.w.end {
                    self.rec_end = self.w.end;
                    return Ok(None);
                }
                self.rec_end = self.w.end;
                self.line += self.newlines_inside();
                return Ok(Some(Raw::Record {
                    line,
                    offset: offset_of(self),
                }));
            }
            scan = self.pos + scanned;
        }
    }

    /// Newlines inside the current record (CSV quoted newlines).
    fn newlines_inside(&self) -> u64 {
        if !self.csv {
            return 0;
        }
        memchr::memchr_iter(b'\n', &self.w.buf[self.pos..self.rec_end]).count() as u64
    }

    /// The record from `pos` is too large: keep its first bytes, skip to its end (searching
    /// from `scan`).
    fn too_large(
        &mut self,
        mut scan: usize,
        line: u64,
        mut quoted: bool,
    ) -> Result<Raw, DecodeError> {
        let offset = self.w.base + self.pos as u64;
        let stop = self.w.end.min(self.pos + self.max_sample);
        let sample = self.w.buf[self.pos..stop].to_vec();
        let mut lines = 0u64;
        // `scan` may already be a newline found past the limit.
        if scan < self.w.end && self.w.buf[scan] == b'\n' {
            lines += self.count_newlines(self.pos, scan);
            self.rec_end = scan;
            self.line += 1 + lines;
            return Ok(Raw::TooLarge {
                sample,
                line,
                offset,
            });
        }
        loop {
            lines += self.count_newlines(self.pos, scan);
            // Drop what was scanned.
            self.pos = scan;
            if let Some(nl) = self.find_end(scan, &mut quoted) {
                lines += self.count_newlines(scan, nl);
                self.rec_end = nl;
                self.line += 1 + lines;
                return Ok(Raw::TooLarge {
                    sample,
                    line,
                    offset,
                });
            }
            scan = self.w.end;
            lines += self.count_newlines(self.pos, scan);
            self.pos = scan;
            if !self.fill()? {
                self.rec_end = self.w.end;
                self.line += lines;
                return Ok(Raw::TooLarge {
                    sample,
                    line,
                    offset,
                });
            }
            scan = self.pos;
        }
    }

    fn count_newlines(&self, from: usize, to: usize) -> u64 {
        if !self.csv || from >= to {
            return 0;
        }
        memchr::memchr_iter(b'\n', &self.w.buf[from..to]).count() as u64
    }
}
