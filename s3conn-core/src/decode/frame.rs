//! Framing stage: split decompressed bytes into JSON events without building a tree of the document.
//!
//! A byte scanner finds where each value ends (strings are skipped with `memchr`), so a
//! `{"Records":[...]}` document of any size is split element by element with memory bounded by the
//! largest single event. Each frame is then validated by [`Validator`], which also notes the
//! event's top-level fields for the source.

use std::io::Read;
use std::ops::ControlFlow;

use memchr::{memchr, memchr2, memmem};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{DecodeError, Limits};
use crate::json::{FieldSpan, SyntaxError, Validator};

/// How the events of an object are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Framing {
    /// One value gives one record; values one after another (newline-delimited or pretty-printed) give one each.
    #[default]
    Auto,
    /// The object is exactly one JSON document.
    Single,
    /// One JSON value per line (the seed's "Multiple Logs per File").
    Lines,
}

impl std::str::FromStr for Framing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Framing::Auto),
            "single" => Ok(Framing::Single),
            "lines" | "ndjson" | "jsonl" => Ok(Framing::Lines),
            other => Err(format!(
                "unknown framing '{other}' (expected auto, single or lines)"
            )),
        }
    }
}

/// Why a frame could not become an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BadReason {
    /// Not valid JSON (the parser's message, with its position inside the frame).
    InvalidJson {
        /// The parser's message.
        message: String,
    },
    /// The record is larger than the configured limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The record nests deeper than the configured limit.
    TooDeep {
        /// The limit in levels.
        limit: u32,
    },
    /// The object ends in the middle of this value.
    Truncated,
    /// Bytes after the single document of a `single`-framed object.
    TrailingData,
}

impl std::fmt::Display for BadReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadReason::InvalidJson { message } => write!(f, "invalid JSON: {message}"),
            BadReason::TooLarge { limit } => write!(f, "record exceeds the limit of {limit} bytes"),
            BadReason::TooDeep { limit } => {
                write!(f, "record nests deeper than the limit of {limit} levels")
            }
            BadReason::Truncated => f.write_str("object ends inside this record (truncated)"),
            BadReason::TrailingData => f.write_str("data after the single JSON document"),
        }
    }
}

/// One item of a decoded object, in order.
#[derive(Debug)]
pub enum Item<'a> {
    /// A valid JSON event.
    Event {
        /// The event's JSON text (valid JSON: framers validate it).
        raw: &'a str,
        /// The event's top-level fields, when it is an object and the framer noted them.
        fields: Option<&'a [FieldSpan]>,
        /// The list field it was an element of, if any.
        list: Option<&'a str>,
        /// 1-based line where it starts.
        line: u64,
        /// Byte offset (in the decompressed stream) where it starts.
        offset: u64,
    },
    /// A frame that is not a valid event.
    Bad {
        /// The frame's first bytes (at most `Limits::max_sample_bytes`).
        sample: &'a [u8],
        /// 1-based line where it starts.
        line: u64,
        /// Byte offset (in the decompressed stream) where it starts.
        offset: u64,
        /// What is wrong with it.
        reason: BadReason,
    },
}

/// Counts of one framing pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FrameSummary {
    /// Events emitted.
    pub events: u64,
    /// Bad frames emitted.
    pub bad: u64,
    /// True when the consumer asked to stop early.
    pub stopped: bool,
}

/// The framing stage of a decoder.
pub trait Framer: Send + Sync + std::fmt::Debug {
    /// Splits `input` into events, calling `on_item` for each in order; `Break` stops early.
    fn frame(
        &self,
        input: &mut dyn Read,
        expand: &[String],
        limits: &Limits,
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<FrameSummary, DecodeError>;
}

/// The standard JSON framer.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonFramer {
    /// The framing mode.
    pub framing: Framing,
}

impl Framer for JsonFramer {
    fn frame(
        &self,
        input: &mut dyn Read,
        expand: &[String],
        limits: &Limits,
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<FrameSummary, DecodeError> {
        let mut s = Scanner::new(input, limits, on_item);
        let result = match self.framing {
            Framing::Lines => s.run_lines(expand),
            Framing::Single => s.run_scan(expand, true),
            Framing::Auto => {
                if s.looks_like_lines()? {
                    s.run_lines(expand)
                } else {
                    s.run_scan(expand, false)
                }
            }
        };
        match result {
            Ok(()) => {}
            Err(Halt::Stop) => s.summary.stopped = true,
            Err(Halt::Fail(e)) => return Err(e),
        }
        Ok(s.summary)
    }
}

/// Why scanning ended early.
enum Halt {
    Stop,
    Fail(DecodeError),
}

impl From<DecodeError> for Halt {
    fn from(e: DecodeError) -> Self {
        Halt::Fail(e)
    }
}

type Step<T = ()> = Result<T, Halt>;

/// How one value scan ended.
enum Scanned {
    /// The value is `buf[start..pos]`.
    Complete {
        start: usize,
        line: u64,
        offset: u64,
        /// Whether the validator already checked its grammar (the fast path).
        validated: bool,
    },
    /// The value could not be kept whole; `sample` holds its beginning.
    Failed {
        sample: Vec<u8>,
        line: u64,
        offset: u64,
        reason: BadReason,
    },
}

struct Scanner<'r, 'f> {
    input: &'r mut dyn Read,
    on_item: &'f mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    limits: Limits,
    buf: Vec<u8>,
    /// Bytes before `anchor` may be discarded.
    anchor: usize,
    pos: usize,
    end: usize,
    eof: bool,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// 1-based line number at `pos`.
    line: u64,
    summary: FrameSummary,
    validator: Validator,
}

const READ_CHUNK: usize = 256 * 1024;

fn is_value_start(c: u8) -> bool {
    matches!(
        c,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    )
}

fn trim(mut b: &[u8]) -> &[u8] {
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

impl<'r, 'f> Scanner<'r, 'f> {
    fn new(
        input: &'r mut dyn Read,
        limits: &Limits,
        on_item: &'f mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Self {
        Scanner {
            input,
            on_item,
            limits: limits.clone(),
            buf: vec![0; READ_CHUNK],
            anchor: 0,
            pos: 0,
            end: 0,
            eof: false,
            base: 0,
            line: 1,
            summary: FrameSummary::default(),
            validator: Validator::new(),
        }
    }

    fn abs(&self, idx: usize) -> u64 {
        self.base + idx as u64
    }

    /// Reads more input after `end`, dropping bytes before `anchor` first. False at end of input.
    fn fill(&mut self) -> Result<bool, DecodeError> {
        if self.eof {
            return Ok(false);
        }
        if self.anchor > 0 && (self.end == self.buf.len() || self.anchor >= self.buf.len() / 2) {
            self.buf.copy_within(self.anchor..self.end, 0);
            self.base += self.anchor as u64;
            self.pos -= self.anchor;
            self.end -= self.anchor;
            self.anchor = 0;
        }
        if self.end == self.buf.len() {
            let grown = (self.buf.len() * 2).max(self.buf.len() + READ_CHUNK);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    if self.buf.len() > 4 * READ_CHUNK && self.end - self.anchor < READ_CHUNK {
                        self.buf.truncate(READ_CHUNK.max(self.end));
                        self.buf.shrink_to_fit();
                    }
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(DecodeError::from_io(e, self.abs(self.end))),
            }
        }
    }

    /// Skips whitespace (and a leading byte-order mark); returns the next byte without consuming it.
    fn skip_ws(&mut self, discard: bool) -> Step<Option<u8>> {
        loop {
            while self.pos < self.end {
                match self.buf[self.pos] {
                    b' ' | b'\t' | b'\r' => self.pos += 1,
                    b'\n' => {
                        self.line += 1;
                        self.pos += 1;
                    }
                    0xEF if self.abs(self.pos) == 0 => {
                        if self.end < 3 && !self.eof {
                            break;
                        }
                        if self.buf[..self.end].starts_with(&[0xEF, 0xBB, 0xBF]) {
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
    fn sample_at(&mut self, start_abs: u64) -> Result<Vec<u8>, DecodeError> {
        let want = self.limits.max_sample_bytes as u64;
        while self.abs(self.end).saturating_sub(start_abs) < want && self.fill()? {}
        let start = start_abs.saturating_sub(self.base) as usize;
        let stop = self
            .end
            .min(start.saturating_add(self.limits.max_sample_bytes));
        Ok(self
            .buf
            .get(start..stop)
            .map(<[u8]>::to_vec)
            .unwrap_or_default())
    }

    /// Scans one value that starts at `pos` (whose first byte is known), with `depth` levels already open.
    /// The bytes stay in the buffer (from `anchor`) unless the value breaks a limit.
    fn scan_value(&mut self, mut depth: u64, keep: bool) -> Step<Scanned> {
        let start_abs = self.abs(self.pos);
        let line = self.line;
        if self.pos >= self.end && !self.fill()? {
            return Ok(Scanned::Failed {
                sample: Vec::new(),
                line,
                offset: start_abs,
                reason: BadReason::Truncated,
            });
        }
        let first = self.buf[self.pos];
        if keep && depth == 0 && matches!(first, b'{' | b'[') {
            // Fast path: the whole value is in the buffer and valid; one pass finds its end,
            // checks it and notes its fields.
            let start = self.pos;
            if let Some(len) = self.validator.validate_prefix(&self.buf[start..self.end]) {
                if len <= self.limits.max_record_bytes
                    && self.validator.deepest() <= self.limits.max_depth as usize
                {
                    self.line +=
                        memchr::memchr_iter(b'\n', &self.buf[start..start + len]).count() as u64;
                    self.pos = start + len;
                    return Ok(Scanned::Complete {
                        start,
                        line,
                        offset: start_abs,
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
            let end = self.end;
            let buf = &self.buf;
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
            if self.pos < self.end {
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
                line,
                offset: start_abs,
                validated: false,
            });
        }
        Ok(match failure {
            Some((mut sample, reason)) => {
                // Sampling read ahead: keep the value's bytes only, not those after it.
                sample.truncate(
                    usize::try_from(self.abs(self.pos) - start_abs).unwrap_or(usize::MAX),
                );
                Scanned::Failed {
                    sample,
                    line,
                    offset: start_abs,
                    reason,
                }
            }
            None => Scanned::Complete {
                start: (start_abs - self.base) as usize,
                line,
                offset: start_abs,
                validated: false,
            },
        })
    }

    fn emit_bad(&mut self, sample: &[u8], line: u64, offset: u64, reason: BadReason) -> Step {
        let sample = &sample[..sample.len().min(self.limits.max_sample_bytes)];
        self.summary.bad += 1;
        match (self.on_item)(Item::Bad {
            sample,
            line,
            offset,
            reason,
        }) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(Halt::Stop),
        }
    }

    /// Validates `bytes` as one JSON value and emits it, or emits it as bad.
    /// Validates `bytes` as one JSON value and emits it, or emits it as bad.
    #[allow(clippy::too_many_arguments)]
    fn emit_json(
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
        summary: &mut FrameSummary,
        validator: &mut Validator,
        limits: &Limits,
        bytes: &[u8],
        list: Option<&str>,
        line: u64,
        offset: u64,
    ) -> Step {
        let checked = validator.validate(bytes);
        Self::emit_checked(
            on_item, summary, validator, limits, bytes, checked, list, line, offset,
        )
    }

    /// Emits `bytes` as an event when `checked` (the validator's verdict on them) is valid, else as bad.
    #[allow(clippy::too_many_arguments)]
    fn emit_checked(
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
        summary: &mut FrameSummary,
        validator: &Validator,
        limits: &Limits,
        bytes: &[u8],
        checked: Result<&str, SyntaxError>,
        list: Option<&str>,
        line: u64,
        offset: u64,
    ) -> Step {
        let item = match checked {
            Ok(raw) => {
                summary.events += 1;
                Item::Event {
                    raw,
                    fields: Some(validator.fields()),
                    list,
                    line,
                    offset,
                }
            }
            Err(e) => {
                summary.bad += 1;
                Item::Bad {
                    sample: &bytes[..bytes.len().min(limits.max_sample_bytes)],
                    line,
                    offset,
                    reason: BadReason::InvalidJson {
                        message: e.to_string(),
                    },
                }
            }
        };
        match on_item(item) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(Halt::Stop),
        }
    }

    fn emit_scanned(&mut self, scanned: Scanned, list: Option<&str>) -> Step {
        match scanned {
            Scanned::Complete {
                start,
                line,
                offset,
                validated: true,
            } => {
                let bytes = &self.buf[start..self.pos];
                let checked = std::str::from_utf8(bytes)
                    .map_err(|e| SyntaxError::at(bytes, e.valid_up_to(), "invalid UTF-8"));
                Self::emit_checked(
                    self.on_item,
                    &mut self.summary,
                    &self.validator,
                    &self.limits,
                    bytes,
                    checked,
                    list,
                    line,
                    offset,
                )
            }
            Scanned::Complete {
                start,
                line,
                offset,
                validated: false,
            } => {
                let bytes = &self.buf[start..self.pos];
                Self::emit_json(
                    self.on_item,
                    &mut self.summary,
                    &mut self.validator,
                    &self.limits,
                    bytes,
                    list,
                    line,
                    offset,
                )
            }
            Scanned::Failed {
                sample,
                line,
                offset,
                reason,
            } => self.emit_bad(&sample, line, offset, reason),
        }
    }

    /// Finds the next newline at or after `pos`, keeping the line (from `anchor = pos`) in the buffer
    /// while it is at most `cap` bytes; past that its first bytes are sampled and the rest dropped.
    fn find_newline(
        &mut self,
        cap: usize,
    ) -> Result<(Option<usize>, Option<Vec<u8>>), DecodeError> {
        self.anchor = self.pos;
        let mut search_abs = self.abs(self.pos);
        let mut sample = None;
        loop {
            let from = (search_abs - self.base) as usize;
            if let Some(k) = memchr(b'\n', &self.buf[from..self.end]) {
                return Ok((Some(from + k), sample));
            }
            search_abs = self.abs(self.end);
            if sample.is_none() && self.end - self.anchor > cap {
                // Sampling reads ahead: search what it read before reading more.
                sample = Some(self.sample_at(self.abs(self.anchor))?);
                continue;
            }
            if sample.is_some() {
                self.anchor = self.end;
                self.pos = self.end;
            }
            if !self.fill()? {
                return Ok((None, sample));
            }
        }
    }

    /// Consumes the rest of the current line and reports it as not JSON.
    fn bad_until_newline(&mut self) -> Step {
        let line = self.line;
        let offset = self.abs(self.pos);
        let (stop, sample) = self.find_newline(self.limits.max_sample_bytes)?;
        let stop = stop.unwrap_or(self.end);
        let line_len = (self.abs(stop) - offset) as usize;
        let mut sample = sample.unwrap_or_else(|| self.buf[self.anchor..stop].to_vec());
        sample.truncate(line_len);
        self.pos = stop;
        let message = format!(
            "unexpected byte {} at the start of a value",
            describe_byte(sample.first().copied().unwrap_or(b' '))
        );
        self.emit_bad(&sample, line, offset, BadReason::InvalidJson { message })
    }

    /// Auto framing: the object is newline-delimited when its first line (or, if that is broken, its
    /// second) is a complete JSON object or array by itself.
    fn looks_like_lines(&mut self) -> Result<bool, DecodeError> {
        const WINDOW: usize = 1 << 20;
        // Newlines are counted in each newly read part only (no rescans while reading ahead).
        let mut counted = 0;
        let mut complete_lines = 0;
        loop {
            complete_lines += memchr::memchr_iter(b'\n', &self.buf[counted..self.end]).count();
            counted = self.end;
            if complete_lines >= 2 || self.eof || self.end >= WINDOW {
                if complete_lines == 0 {
                    return Ok(false);
                }
                let data = &self.buf[..self.end];
                let lines: Vec<&[u8]> = data
                    .split(|&b| b == b'\n')
                    .map(trim)
                    .filter(|l| !l.is_empty())
                    .take(3)
                    .collect();
                let validator = &mut self.validator;
                let mut standalone = |l: &[u8]| {
                    let l = l.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(l);
                    matches!(l.first(), Some(b'{' | b'[')) && validator.validate(l).is_ok()
                };
                return Ok(lines.first().is_some_and(|l| standalone(l))
                    || (lines.len() > 2 && lines.get(1).is_some_and(|l| standalone(l))));
            }
            if !self.fill()? {
                continue;
            }
        }
    }

    fn run_scan(&mut self, expand: &[String], single: bool) -> Step {
        let mut values = 0u64;
        loop {
            let Some(c) = self.skip_ws(true)? else {
                return Ok(());
            };
            self.anchor = self.pos;
            if single && values > 0 {
                let line = self.line;
                let offset = self.abs(self.pos);
                let sample = self.sample_at(offset)?;
                while self.fill()? {
                    self.anchor = self.end;
                    self.pos = self.end;
                }
                self.pos = self.end;
                return self.emit_bad(&sample, line, offset, BadReason::TrailingData);
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
    fn expand_array(&mut self, list: Option<&str>) -> Step {
        let line = self.line;
        let offset = self.abs(self.pos);
        self.pos += 1;
        loop {
            let Some(c) = self.skip_ws(true)? else {
                return self.emit_bad(b"", line, offset, BadReason::Truncated);
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
        let line = self.line;
        let offset = self.abs(self.pos);
        self.anchor = self.pos;
        let sample = self.sample_at(offset)?;
        // Skip to the end of the enclosing value, without keeping it.
        self.scan_value(depth, false)?;
        self.emit_bad(&sample, line, offset, reason)
    }

    /// An object at `pos`: its expandable lists are streamed element by element; an object without
    /// one is emitted whole.
    fn expand_object(&mut self, expand: &[String]) -> Step {
        let line = self.line;
        let start_abs = self.abs(self.pos);
        self.pos += 1;
        let mut found = false;
        loop {
            let Some(c) = self.skip_ws(found)? else {
                let sample = if found {
                    Vec::new()
                } else {
                    self.sample_at(start_abs)?
                };
                return self.emit_bad(&sample, line, start_abs, BadReason::Truncated);
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
                            serde_json::from_slice::<String>(&self.buf[start..self.pos]).ok()
                        }
                        Scanned::Failed { .. } => None,
                    };
                    let Some(key) = key else {
                        return self.object_broken(
                            found,
                            start_abs,
                            line,
                            "unreadable key in an object",
                        );
                    };
                    match self.skip_ws(found)? {
                        Some(b':') => self.pos += 1,
                        _ => {
                            return self.object_broken(
                                found,
                                start_abs,
                                line,
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
                            return self.emit_bad(&sample, line, start_abs, reason);
                        }
                        if found {
                            self.anchor = self.pos;
                        }
                    } else {
                        return self.object_broken(
                            found,
                            start_abs,
                            line,
                            "unexpected byte after an object key",
                        );
                    }
                }
                c => {
                    let message = format!("unexpected byte {} inside an object", describe_byte(c));
                    return self.object_broken(found, start_abs, line, &message);
                }
            }
        }
        if !found {
            let start = (start_abs - self.base) as usize;
            let bytes = &self.buf[start..self.pos];
            Self::emit_json(
                self.on_item,
                &mut self.summary,
                &mut self.validator,
                &self.limits,
                bytes,
                None,
                line,
                start_abs,
            )?;
        }
        Ok(())
    }

    fn object_broken(&mut self, found: bool, start_abs: u64, line: u64, message: &str) -> Step {
        let reason = BadReason::InvalidJson {
            message: message.to_owned(),
        };
        if found {
            return self.fail_rest(1, reason);
        }
        let sample = self.sample_at(start_abs)?;
        self.anchor = self.pos;
        self.scan_value(1, false)?;
        self.emit_bad(&sample, line, start_abs, reason)
    }

    fn run_lines(&mut self, expand: &[String]) -> Step {
        let needles: Vec<Vec<u8>> = expand
            .iter()
            .map(|e| format!("\"{e}\"").into_bytes())
            .collect();
        loop {
            let line_no = self.line;
            let start_abs = self.abs(self.pos);
            let (stop, mut oversize) = self.find_newline(self.limits.max_record_bytes)?;
            let line_end = stop.unwrap_or(self.end);
            let line_end_abs = self.abs(line_end);
            if oversize.is_none() && line_end - self.anchor > self.limits.max_record_bytes {
                oversize = Some(self.sample_at(start_abs)?);
            }
            if let Some(sample) = &mut oversize {
                sample.truncate((line_end_abs - start_abs) as usize);
            }
            self.pos = stop.map_or(self.end, |s| s + 1);
            self.line += 1;
            if let Some(sample) = oversize {
                self.emit_bad(
                    &sample,
                    line_no,
                    start_abs,
                    BadReason::TooLarge {
                        limit: self.limits.max_record_bytes,
                    },
                )?;
            } else {
                let start = self.anchor;
                let mut raw_line = &self.buf[start..line_end];
                if start_abs == 0 {
                    raw_line = raw_line
                        .strip_prefix(&[0xEF, 0xBB, 0xBF])
                        .unwrap_or(raw_line);
                }
                let line = trim(raw_line);
                if !line.is_empty() {
                    let lead = (line.as_ptr() as usize) - (self.buf[start..].as_ptr() as usize);
                    let offset = start_abs + lead as u64;
                    Self::emit_line(
                        self.on_item,
                        &mut self.summary,
                        &mut self.validator,
                        &self.limits,
                        line,
                        &needles,
                        expand,
                        line_no,
                        offset,
                    )?;
                }
            }
            if stop.is_none() {
                return Ok(());
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_line(
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
        summary: &mut FrameSummary,
        validator: &mut Validator,
        limits: &Limits,
        line: &[u8],
        needles: &[Vec<u8>],
        expand: &[String],
        line_no: u64,
        offset: u64,
    ) -> Step {
        let checked = validator.validate(line);
        if validator.deepest() > limits.max_depth as usize {
            summary.bad += 1;
            return match on_item(Item::Bad {
                sample: &line[..line.len().min(limits.max_sample_bytes)],
                line: line_no,
                offset,
                reason: BadReason::TooDeep {
                    limit: limits.max_depth,
                },
            }) {
                ControlFlow::Continue(()) => Ok(()),
                ControlFlow::Break(()) => Err(Halt::Stop),
            };
        }
        let mut keys: Vec<String> = Vec::new();
        let elements: Option<Vec<(&RawValue, Option<usize>)>> = match line.first() {
            _ if checked.is_err() => None,
            Some(b'[') => serde_json::from_slice::<Vec<&RawValue>>(line)
                .ok()
                .map(|v| v.into_iter().map(|r| (r, None)).collect()),
            Some(b'{') if needles.iter().any(|n| memmem::find(line, n).is_some()) => {
                match serde_json::from_slice::<Entries<'_>>(line) {
                    Ok(entries) => {
                        let mut out = Vec::new();
                        for (k, v) in entries.0 {
                            if v.get().starts_with('[') && expand.contains(&k) {
                                if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(v.get()) {
                                    let idx = keys.len();
                                    keys.push(k);
                                    out.extend(items.into_iter().map(|i| (i, Some(idx))));
                                }
                            }
                        }
                        (!keys.is_empty()).then_some(out)
                    }
                    Err(_) => None,
                }
            }
            _ => None,
        };
        let Some(elements) = elements else {
            return Self::emit_checked(
                on_item, summary, validator, limits, line, checked, None, line_no, offset,
            );
        };
        for (raw, key) in elements {
            let element_offset =
                offset + (raw.get().as_ptr() as usize - line.as_ptr() as usize) as u64;
            summary.events += 1;
            let item = Item::Event {
                raw: raw.get(),
                fields: None,
                list: key.and_then(|k| keys.get(k)).map(String::as_str),
                line: line_no,
                offset: element_offset,
            };
            if let ControlFlow::Break(()) = on_item(item) {
                return Err(Halt::Stop);
            }
        }
        Ok(())
    }
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("0x{b:02x}")
    }
}

/// The entries of a JSON object, in document order, values unparsed.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}
