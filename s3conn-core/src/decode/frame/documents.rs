//! Values one after another (`single`, and `auto` for anything but newline-delimited JSON): each
//! value is an event, a top-level array gives its elements, and an object's expandable lists are
//! streamed element by element without keeping the document.

use super::emit::Location;
use super::scanner::{describe_byte, is_value_start, Scanner, Step};
use super::value::Scanned;
use super::BadReason;

impl Scanner<'_, '_> {
    /// Consumes the rest of the current line and reports it as not JSON.
    fn bad_until_newline(&mut self) -> Step {
        let at = self.here();
        let offset = at.offset;
        let (stop, sample) = self.find_newline(self.limits.max_sample_bytes)?;
        let stop = stop.unwrap_or(self.w.end);
        let line_len = (self.abs(stop) - offset) as usize;
        let mut sample = sample.unwrap_or_else(|| self.w.buf[self.anchor..stop].to_vec());
        sample.truncate(line_len);
        self.pos = stop;
        let message = format!(
            "unexpected byte {} at the start of a value",
            describe_byte(sample.first().copied().unwrap_or(b' '))
        );
        self.emit
            .bad(&sample, at, BadReason::InvalidJson { message })
    }

    /// Frames values one after another; with `single`, anything after the first is trailing data.
    pub(super) fn run_documents(&mut self, expand: &[String], single: bool) -> Step {
        let mut values = 0u64;
        loop {
            let Some(c) = self.skip_ws(true)? else {
                return Ok(());
            };
            self.anchor = self.pos;
            if single && values > 0 {
                let at = self.here();
                let sample = self.sample_at(at.offset)?;
                while self.fill()? {
                    self.anchor = self.w.end;
                    self.pos = self.w.end;
                }
                self.pos = self.w.end;
                return self.emit.bad(&sample, at, BadReason::TrailingData);
            }
            values += 1;
            match c {
                b'[' => self.expand_array(None)?,
                b'{' if !expand.is_empty() => self.expand_object(expand)?,
                c if is_value_start(c) => {
                    let scanned = self.scan_value(0, true)?;
                    self.emit_scanned(scanned, None)?;
                }
                _ => self.bad_until_newline()?,
            }
        }
    }

    /// Streams the elements of the array at `pos`, each as an event of `list`.
    pub(super) fn expand_array(&mut self, list: Option<&str>) -> Step {
        let at = self.here();
        self.pos += 1;
        loop {
            let Some(c) = self.skip_ws(true)? else {
                return self.emit.bad(b"", at, BadReason::Truncated);
            };
            self.anchor = self.pos;
            match c {
                b']' => {
                    self.pos += 1;
                    return Ok(());
                }
                b',' => self.pos += 1,
                c if is_value_start(c) => {
                    let scanned = self.scan_value(0, true)?;
                    self.emit_scanned(scanned, list)?;
                }
                c => {
                    let message = format!("unexpected byte {} inside a list", describe_byte(c));
                    return self.fail_rest(1, BadReason::InvalidJson { message });
                }
            }
        }
    }

    /// Reports the rest of a broken container (from `pos`, `depth` levels open) as one bad frame.
    fn fail_rest(&mut self, depth: u64, reason: BadReason) -> Step {
        let at = self.here();
        self.anchor = self.pos;
        let sample = self.sample_at(at.offset)?;
        // Skip to the end of the enclosing value, without keeping it.
        self.scan_value(depth, false)?;
        self.emit.bad(&sample, at, reason)
    }

    /// An object at `pos`: its expandable lists are streamed element by element; an object without
    /// one is emitted whole.
    pub(super) fn expand_object(&mut self, expand: &[String]) -> Step {
        let at = self.here();
        let start_abs = at.offset;
        self.pos += 1;
        let mut found = false;
        loop {
            let Some(c) = self.skip_ws(found)? else {
                let sample = if found {
                    Vec::new()
                } else {
                    self.sample_at(start_abs)?
                };
                return self.emit.bad(&sample, at, BadReason::Truncated);
            };
            if found {
                self.anchor = self.pos;
            }
            match c {
                b'}' => {
                    self.pos += 1;
                    break;
                }
                b',' => self.pos += 1,
                b'"' => {
                    let key = match self.scan_value(0, true)? {
                        Scanned::Complete { start, .. } => {
                            serde_json::from_slice::<String>(&self.w.buf[start..self.pos]).ok()
                        }
                        Scanned::Failed { .. } => None,
                    };
                    let Some(key) = key else {
                        return self.object_broken(found, at, "unreadable key in an object");
                    };
                    match self.skip_ws(found)? {
                        Some(b':') => self.pos += 1,
                        _ => {
                            return self.object_broken(
                                found,
                                at,
                                "expected ':' after an object key",
                            )
                        }
                    }
                    let Some(v) = self.skip_ws(found)? else {
                        continue;
                    };
                    if v == b'[' && expand.contains(&key) {
                        found = true;
                        self.anchor = self.pos;
                        self.expand_array(Some(&key))?;
                    } else if is_value_start(v) {
                        if found {
                            self.anchor = self.pos;
                        }
                        if let Scanned::Failed { sample, reason, .. } =
                            self.scan_value(0, !found)?
                        {
                            // The envelope is too large (or deep) to keep whole: report it, skip the rest.
                            self.anchor = self.pos;
                            self.scan_value(1, false)?;
                            return self.emit.bad(&sample, at, reason);
                        }
                        if found {
                            self.anchor = self.pos;
                        }
                    } else {
                        return self.object_broken(
                            found,
                            at,
                            "unexpected byte after an object key",
                        );
                    }
                }
                c => {
                    let message = format!("unexpected byte {} inside an object", describe_byte(c));
                    return self.object_broken(found, at, &message);
                }
            }
        }
        if !found {
            let start = (start_abs - self.w.base) as usize;
            let bytes = &self.w.buf[start..self.pos];
            self.emit.json(&mut self.validator, bytes, None, at)?;
        }
        Ok(())
    }

    /// Reports a broken object that starts at `at`: the rest of it when its lists were being
    /// streamed (`found`), else all of it.
    fn object_broken(&mut self, found: bool, at: Location, message: &str) -> Step {
        let reason = BadReason::InvalidJson {
            message: message.to_owned(),
        };
        if found {
            return self.fail_rest(1, reason);
        }
        let sample = self.sample_at(at.offset)?;
        self.anchor = self.pos;
        self.scan_value(1, false)?;
        self.emit.bad(&sample, at, reason)
    }
}
