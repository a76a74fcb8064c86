//! Framing stage: split decompressed bytes into JSON events without building a tree of the document.
//!
//! A byte scanner finds where each value ends (strings are skipped with `memchr`), so a
//! `{"Records":[...]}` document of any size is split element by element with memory bounded by the
//! largest single event. Each frame is then validated by [`crate::json::Validator`], which also
//! notes the event's top-level fields for the source.
//!
//! Files: `scanner` (the buffer over the stream), `value` (where one value ends), `emit` (items to
//! the consumer), `documents` (values one after another, lists expanded element by element),
//! `lines` (one value per line), `detect` (what `auto` chooses).

mod detect;
mod documents;
mod emit;
mod lines;
mod scanner;
mod value;

use std::io::Read;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use super::{DecodeError, Limits};
use crate::json::FieldSpan;
use detect::Layout;
use scanner::{Halt, Scanner};

/// How the events of an object are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Framing {
    /// One value gives one record; values one after another (newline-delimited or pretty-printed)
    /// give one each. An object that is one valid JSON document (any layout) gives exactly what
    /// `Single` gives; newline-delimited JSON gives what `Lines` gives, a broken line included.
    #[default]
    Auto,
    /// The object is exactly one JSON document.
    Single,
    /// One JSON value per line (newline-delimited JSON, "Multiple Logs per File").
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
    /// A text record whose number of fields does not fit its format.
    FieldCount {
        /// What the format expects (`14`, `12 to 14`).
        expected: String,
        /// Fields found.
        found: usize,
    },
    /// A text record that cannot be read (not UTF-8, an unterminated quote).
    InvalidText {
        /// What is wrong, with its position inside the record.
        message: String,
    },
}

impl BadReason {
    /// The reason as a metric label (a closed set: `invalid_json`, `too_large`, `too_deep`,
    /// `truncated`, `trailing_data`, `field_count`, `invalid_text`).
    pub fn label(&self) -> &'static str {
        match self {
            BadReason::InvalidJson { .. } => "invalid_json",
            BadReason::TooLarge { .. } => "too_large",
            BadReason::TooDeep { .. } => "too_deep",
            BadReason::Truncated => "truncated",
            BadReason::TrailingData => "trailing_data",
            BadReason::FieldCount { .. } => "field_count",
            BadReason::InvalidText { .. } => "invalid_text",
        }
    }
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
            BadReason::FieldCount { expected, found } => {
                write!(
                    f,
                    "wrong number of fields: expected {expected}, found {found}"
                )
            }
            BadReason::InvalidText { message } => write!(f, "unreadable text record: {message}"),
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
            Framing::Single => s.run_documents(expand, true),
            Framing::Auto => match s.detect_layout()? {
                Layout::Lines => s.run_lines(expand),
                Layout::Documents => s.run_documents(expand, false),
            },
        };
        match result {
            Ok(()) => {}
            Err(Halt::Stop) => s.emit.summary.stopped = true,
            Err(Halt::Fail(e)) => return Err(e),
        }
        Ok(s.emit.summary)
    }
}
