//! One value per line (`lines`, and `auto` for newline-delimited JSON): each line is validated on
//! its own, so a broken line is one bad frame and every other line is still delivered. A line
//! holding an array, or an object with an expandable list, is expanded by the same element
//! streaming as documents are.

use std::ops::Range;

use memchr::memmem;

use super::emit::Location;
use super::scanner::{trim, Scanner, Step, BOM};
use super::BadReason;

impl Scanner<'_, '_> {
    /// Frames the object line by line.
    pub(super) fn run_lines(&mut self, expand: &[String]) -> Step {
        // A line can hold an expandable list only if it names one (escaped keys aside).
        let needles: Vec<Vec<u8>> = expand
            .iter()
            .map(|e| format!("\"{e}\"").into_bytes())
            .collect();
        loop {
            let line_no = self.line;
            let start_abs = self.abs(self.pos);
            let (stop, mut oversize) = self.find_newline(self.limits.max_record_bytes)?;
            let line_end = stop.unwrap_or(self.w.end);
            let line_end_abs = self.abs(line_end);
            if oversize.is_none() && line_end - self.anchor > self.limits.max_record_bytes {
                oversize = Some(self.sample_at(start_abs)?);
            }
            if let Some(sample) = &mut oversize {
                sample.truncate((line_end_abs - start_abs) as usize);
            }
            self.pos = stop.map_or(self.w.end, |s| s + 1);
            self.line += 1;
            if let Some(sample) = oversize {
                let at = Location {
                    line: line_no,
                    offset: start_abs,
                };
                let limit = self.limits.max_record_bytes;
                self.emit.bad(&sample, at, BadReason::TooLarge { limit })?;
            } else {
                let start = self.anchor;
                let mut raw_line = &self.w.buf[start..line_end];
                if start_abs == 0 {
                    raw_line = raw_line.strip_prefix(&BOM).unwrap_or(raw_line);
                }
                let line = trim(raw_line);
                if !line.is_empty() {
                    let lead = (line.as_ptr() as usize) - (self.w.buf[start..].as_ptr() as usize);
                    let range = start + lead..start + lead + line.len();
                    let at = Location {
                        line: line_no,
                        offset: start_abs + lead as u64,
                    };
                    self.frame_line(range, &needles, expand, at)?;
                }
            }
            if stop.is_none() {
                return Ok(());
            }
        }
    }

    /// Emits the line `buf[range]` (trimmed, not empty): as one event, as the elements of its
    /// lists, or as bad.
    fn frame_line(
        &mut self,
        range: Range<usize>,
        needles: &[Vec<u8>],
        expand: &[String],
        at: Location,
    ) -> Step {
        let line = &self.w.buf[range.clone()];
        let checked = self.validator.validate(line);
        if self.validator.deepest() > self.limits.max_depth as usize {
            let limit = self.limits.max_depth;
            return self.emit.bad(line, at, BadReason::TooDeep { limit });
        }
        let expandable = checked.is_ok()
            && match line.first() {
                Some(b'[') => true,
                Some(b'{') => needles.iter().any(|n| memmem::find(line, n).is_some()),
                _ => false,
            };
        if !expandable {
            return self
                .emit
                .checked(line, checked, self.validator.fields(), None, at);
        }
        // A valid line within the limits: expanding it stays inside it and reads nothing more.
        let resume_abs = self.abs(self.pos);
        let next_line = self.line;
        self.pos = range.start;
        self.anchor = range.start;
        self.line = at.line;
        let expanded = if self.w.buf[range.start] == b'[' {
            self.expand_array(None)
        } else {
            self.expand_object(expand)
        };
        self.pos = (resume_abs - self.w.base) as usize;
        self.line = next_line;
        expanded
    }
}
