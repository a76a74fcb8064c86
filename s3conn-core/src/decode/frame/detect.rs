//! What `auto` framing chooses for an object: one value per line, or values one after another.
//!
//! The rule: an object that is one valid JSON document, however it is laid out (indented, one
//! element per line with commas leading or trailing, CRLF, a byte-order mark), is never cut into
//! lines, so `auto` gives exactly what `single` gives; newline-delimited JSON is framed line by
//! line, so a broken line costs that line only.

use std::ops::Range;

use memchr::memchr;

use super::scanner::{trim, Scanner, BOM};
use crate::decode::DecodeError;
use crate::json::Prefix;

/// How an object's values are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// One value per line.
    Lines,
    /// Values one after another, each of any layout.
    Documents,
}

/// Bytes looked at, at most, before choosing.
const WINDOW: usize = 1 << 20;

/// Bytes of a first value that spans lines validated at first; doubled (as more is read) until
/// the value ends or the window is full, so small reads cost no rescans.
const FIRST_CHECK: usize = 4096;

impl Scanner<'_, '_> {
    /// Chooses the layout from the object's first bytes (at most about [`WINDOW`]; nothing is
    /// consumed):
    /// - no complete line in the window, or one line in all: values one after another (any framing
    ///   reads one line alike);
    /// - the first line is a JSON object or array by itself (and more follows): one per line;
    /// - the first value spans lines and is complete, or is valid as far as the window goes: one
    ///   document (or several), never cut into lines;
    /// - otherwise the start is broken: one per line when the second line is an object or array by
    ///   itself, so every good line is delivered and the broken one dead-lettered.
    pub(super) fn detect_layout(&mut self) -> Result<Layout, DecodeError> {
        let lines = self.first_lines()?;
        let Some(first) = lines.first().cloned() else {
            return Ok(Layout::Documents);
        };
        let second = lines.get(1).cloned();
        if second.is_none() && self.w.eof {
            return Ok(Layout::Documents);
        }
        if self.standalone(first.clone()) {
            return Ok(Layout::Lines);
        }
        if matches!(self.w.buf[first.start], b'{' | b'[') {
            match self.first_value(first.start)? {
                Prefix::Complete(len) if first.start + len > first.end => {
                    return Ok(Layout::Documents)
                }
                Prefix::Incomplete if !self.w.eof => return Ok(Layout::Documents),
                _ => {}
            }
        }
        let second_standalone = second.is_some_and(|line| self.standalone(line));
        Ok(if second_standalone {
            Layout::Lines
        } else {
            Layout::Documents
        })
    }

    /// Reads until the first two non-blank lines are in the buffer (or the end of input, or the
    /// window); returns them, trimmed (the first without a byte-order mark).
    fn first_lines(&mut self) -> Result<Vec<Range<usize>>, DecodeError> {
        let mut lines = Vec::with_capacity(2);
        let mut line_start = 0;
        // Newlines are searched for in each newly read part only (no rescans while reading ahead).
        let mut searched = 0;
        loop {
            while lines.len() < 2 {
                let Some(k) = memchr(b'\n', &self.w.buf[searched..self.w.end]) else {
                    searched = self.w.end;
                    break;
                };
                let newline = searched + k;
                self.push_non_blank(&mut lines, line_start..newline);
                line_start = newline + 1;
                searched = line_start;
            }
            if lines.len() == 2 || self.w.end >= WINDOW {
                return Ok(lines);
            }
            if !self.fill()? {
                // The last line need not end with a newline.
                if lines.len() < 2 {
                    self.push_non_blank(&mut lines, line_start..self.w.end);
                }
                return Ok(lines);
            }
        }
    }

    /// Adds `buf[line]`, trimmed, to `lines` unless it is blank.
    fn push_non_blank(&self, lines: &mut Vec<Range<usize>>, mut line: Range<usize>) {
        if line.start == 0 && self.w.buf[..line.end].starts_with(&BOM) {
            line.start = BOM.len();
        }
        let text = &self.w.buf[line.clone()];
        let trimmed = trim(text);
        if trimmed.is_empty() {
            return;
        }
        let lead = trimmed.as_ptr() as usize - text.as_ptr() as usize;
        let start = line.start + lead;
        lines.push(start..start + trimmed.len());
    }

    /// Whether `buf[line]` is a JSON object or array by itself.
    fn standalone(&mut self, line: Range<usize>) -> bool {
        let text = &self.w.buf[line];
        matches!(text.first(), Some(b'{' | b'[')) && self.validator.validate(text).is_ok()
    }

    /// How the value at `buf[start]` ends, reading ahead up to the window.
    fn first_value(&mut self, start: usize) -> Result<Prefix, DecodeError> {
        let mut check_at = FIRST_CHECK;
        loop {
            let read = self.w.end - start;
            let last = self.w.eof || self.w.end >= WINDOW;
            if last || read >= check_at {
                match self.validator.check_prefix(&self.w.buf[start..self.w.end]) {
                    Prefix::Incomplete if !last => check_at = read.saturating_mul(2),
                    found => return Ok(found),
                }
            }
            self.fill()?;
        }
    }
}
