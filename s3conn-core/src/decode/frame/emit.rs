//! Hands framed items to the consumer and counts them.

use std::ops::ControlFlow;

use super::scanner::{Halt, Step};
use super::{BadReason, FrameSummary, Item};
use crate::json::{FieldSpan, SyntaxError, Validator};

/// Where a frame starts in the decompressed stream.
#[derive(Debug, Clone, Copy)]
pub(super) struct Location {
    /// 1-based line.
    pub(super) line: u64,
    /// Byte offset.
    pub(super) offset: u64,
}

/// The consumer of one framing pass, with the counts of what it was given.
pub(super) struct Emitter<'f> {
    on_item: &'f mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    max_sample_bytes: usize,
    /// Events and bad frames emitted so far.
    pub(super) summary: FrameSummary,
}

impl<'f> Emitter<'f> {
    /// Items go to `on_item`; samples of bad frames keep at most `max_sample_bytes`.
    pub(super) fn new(
        on_item: &'f mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
        max_sample_bytes: usize,
    ) -> Self {
        Emitter {
            on_item,
            max_sample_bytes,
            summary: FrameSummary::default(),
        }
    }

    #[inline]
    fn send(&mut self, item: Item<'_>) -> Step {
        match (self.on_item)(item) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(Halt::Stop),
        }
    }

    /// Emits a bad frame whose first bytes are `sample` (cut to the sample limit).
    pub(super) fn bad(&mut self, sample: &[u8], at: Location, reason: BadReason) -> Step {
        let sample = &sample[..sample.len().min(self.max_sample_bytes)];
        self.summary.bad += 1;
        self.send(Item::Bad {
            sample,
            line: at.line,
            offset: at.offset,
            reason,
        })
    }

    /// Emits `bytes` as an event when `checked` (the validator's verdict on them, whose noted
    /// fields are `fields`) is valid, else as bad.
    #[inline]
    pub(super) fn checked(
        &mut self,
        bytes: &[u8],
        checked: Result<&str, SyntaxError>,
        fields: &[FieldSpan],
        list: Option<&str>,
        at: Location,
    ) -> Step {
        match checked {
            Ok(raw) => {
                self.summary.events += 1;
                self.send(Item::Event {
                    raw,
                    fields: Some(fields),
                    list,
                    line: at.line,
                    offset: at.offset,
                })
            }
            Err(e) => self.bad(
                bytes,
                at,
                BadReason::InvalidJson {
                    message: e.to_string(),
                },
            ),
        }
    }

    /// Validates `bytes` as one JSON value and emits it, or emits it as bad.
    pub(super) fn json(
        &mut self,
        validator: &mut Validator,
        bytes: &[u8],
        list: Option<&str>,
        at: Location,
    ) -> Step {
        let checked = validator.validate(bytes);
        self.checked(bytes, checked, validator.fields(), list, at)
    }
}
