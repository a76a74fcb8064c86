//! The text framing stage: records of a [`TextFormat`] to JSON events.

use std::io::Read;
use std::ops::ControlFlow;

use super::TextFormat;
use crate::decode::{DecodeError, FrameSummary, Item, Limits};

/// Frames text records of one format as JSON events.
#[derive(Debug, Clone, Copy)]
pub struct TextFramer<'a> {
    /// The format.
    pub format: &'a TextFormat,
}

impl TextFramer<'_> {
    /// Splits `input` into records, calling `on_item` for each in order; `Break` stops early.
    pub fn frame(
        &self,
        _input: &mut dyn Read,
        _limits: &Limits,
        _on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<FrameSummary, DecodeError> {
        Err(DecodeError::Unsupported(format!(
            "text format {} is not implemented yet",
            self.format.name
        )))
    }
}
