//! Where one value ends: the validator's one pass when the value is wholly in the buffer (the fast
//! path), else a structural scan that reads on, keeping at most `max_record_bytes` of it.

use memchr::memchr2;

use super::emit::Location;
use super::scanner::{Scanner, Step};
use super::BadReason;
use crate::json::SyntaxError;

/// How one value scan ended.
pub(super) enum Scanned {
    /// The value is `buf[start..pos]`.
    Complete {
        start: usize,
        at: Location,
        /// Whether the validator already checked its grammar (the fast path).
        validated: bool,
    },
    /// The value could not be kept whole; `sample` holds its beginning.
    Failed {
        sample: Vec<u8>,
        at: Location,
        reason: BadReason,
    },
}

impl Scanner<'_, '_> {
    /// Scans one value that starts at `pos` (whose first byte is known), with `depth` levels already open.
    /// The bytes stay in the buffer (from `anchor`) unless the value breaks a limit.
    pub(super) fn scan_value(&mut self, mut depth: u64, keep: bool) -> Step<Scanned> {
        let at = self.here();
        let start_abs = at.offset;
        if self.pos >= self.w.end && !self.fill()? {
            return Ok(Scanned::Failed {
                sample: Vec::new(),
                at,
                reason: BadReason::Truncated,
            });
        }
        let first = self.w.buf[self.pos];
        if keep && depth == 0 && matches!(first, b'{' | b'[') {
            // Fast path: the whole value is in the buffer and valid; one pass finds its end,
            // checks it and notes its fields.
            let start = self.pos;
            if let Some(len) = self
                .validator
                .validate_prefix(&self.w.buf[start..self.w.end])
            {
                if len <= self.limits.max_record_bytes
                    && self.validator.deepest() <= self.limits.max_depth as usize
                {
                    self.line +=
                        memchr::memchr_iter(b'\n', &self.w.buf[start..start + len]).count() as u64;
                    self.pos = start + len;
                    return Ok(Scanned::Complete {
                        start,
                        at,
                        validated: true,
                    });
                }
            }
        }
        let scalar = depth == 0 && !matches!(first, b'{' | b'[' | b'"');
        let max_depth = u64::from(self.limits.max_depth);
        let mut in_string = false;
        let mut escaped = false;
        let mut deep = depth > max_depth;
        let mut failure: Option<(Vec<u8>, BadReason)> = None;
        let mut newlines = 0u64;
        loop {
            let mut i = self.pos;
            let end = self.w.end;
            let buf = &self.w.buf;
            let mut done = false;
            if scalar {
                while i < end {
                    if matches!(buf[i], b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}') {
                        done = true;
                        break;
                    }
                    i += 1;
                }
            } else {
                while i < end {
                    if in_string {
                        if escaped {
                            escaped = false;
                            i += 1;
                            continue;
                        }
                        match memchr2(b'"', b'\\', &buf[i..end]) {
                            None => i = end,
                            Some(k) => {
                                let j = i + k;
                                i = j + 1;
                                if buf[j] == b'\\' {
                                    escaped = true;
                                } else {
                                    in_string = false;
                                    if depth == 0 {
                                        done = true;
                                        break;
                                    }
                                }
                            }
                        }
                        continue;
                    }
                    match buf[i] {
                        b'"' => in_string = true,
                        b'{' | b'[' => {
                            depth += 1;
                            deep |= depth > max_depth;
                        }
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                i += 1;
                                done = true;
                                break;
                            }
                        }
                        b'\n' => newlines += 1,
                        _ => {}
                    }
                    i += 1;
                }
            }
            self.pos = i;
            if !keep {
                if done {
                    break;
                }
                self.anchor = self.pos;
                if !self.fill()? {
                    break;
                }
                continue;
            }
            if failure.is_none() && deep {
                failure = Some((
                    self.sample_at(start_abs)?,
                    BadReason::TooDeep {
                        limit: self.limits.max_depth,
                    },
                ));
            }
            if failure.is_none() && self.pos - self.anchor > self.limits.max_record_bytes {
                failure = Some((
                    self.sample_at(start_abs)?,
                    BadReason::TooLarge {
                        limit: self.limits.max_record_bytes,
                    },
                ));
            }
            if done {
                break;
            }
            if failure.is_some() {
                self.anchor = self.pos;
            }
            if self.pos < self.w.end {
                // Sampling read ahead: scan that first.
                continue;
            }
            if !self.fill()? {
                if !scalar && failure.is_none() {
                    failure = Some((self.sample_at(start_abs)?, BadReason::Truncated));
                }
                break;
            }
        }
        self.line += newlines;
        if !keep {
            return Ok(Scanned::Complete {
                start: self.pos,
                at,
                validated: false,
            });
        }
        Ok(match failure {
            Some((mut sample, reason)) => {
                // Sampling read ahead: keep the value's bytes only, not those after it.
                sample.truncate(
                    usize::try_from(self.abs(self.pos) - start_abs).unwrap_or(usize::MAX),
                );
                Scanned::Failed { sample, at, reason }
            }
            None => Scanned::Complete {
                start: (start_abs - self.w.base) as usize,
                at,
                validated: false,
            },
        })
    }

    /// Emits what [`Scanner::scan_value`] found, as an event of `list` or as bad.
    pub(super) fn emit_scanned(&mut self, scanned: Scanned, list: Option<&str>) -> Step {
        match scanned {
            Scanned::Complete {
                start,
                at,
                validated: true,
            } => {
                let bytes = &self.w.buf[start..self.pos];
                let checked = std::str::from_utf8(bytes)
                    .map_err(|e| SyntaxError::at(bytes, e.valid_up_to(), "invalid UTF-8"));
                self.emit
                    .checked(bytes, checked, self.validator.fields(), list, at)
            }
            Scanned::Complete {
                start,
                at,
                validated: false,
            } => {
                let bytes = &self.w.buf[start..self.pos];
                self.emit.json(&mut self.validator, bytes, list, at)
            }
            Scanned::Failed { sample, at, reason } => self.emit.bad(&sample, at, reason),
        }
    }
}
