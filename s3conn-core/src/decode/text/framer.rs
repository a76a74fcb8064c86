//! The text framing stage: records of a [`TextFormat`] to JSON events.

use std::io::Read;
use std::ops::ControlFlow;

use super::columns::{ColumnSet, Pick};
use super::reader::{Raw, RecordReader};
use super::record::{JsonRecord, WINDOW};
use super::split::{split, Token};
use super::{Split, TextFormat};
use crate::decode::{BadReason, DecodeError, FrameSummary, Item, Limits};
use crate::json::FieldSpan;

/// Frames text records of one format as JSON events (see [`crate::decode::text`]).
#[derive(Debug, Clone, Copy)]
pub struct TextFramer<'a> {
    /// The format.
    pub format: &'a TextFormat,
}

/// Why framing ended early.
enum Halt {
    Stop,
    Fail(DecodeError),
}

impl From<DecodeError> for Halt {
    fn from(e: DecodeError) -> Self {
        Halt::Fail(e)
    }
}

/// A record being assembled from several lines (multiline formats).
struct Pending {
    bytes: Vec<u8>,
    line: u64,
    offset: u64,
    too_large: bool,
}

/// Everything but the reader: the columns, the buffers and the consumer.
struct State<'f, 'o> {
    format: &'f TextFormat,
    columns: ColumnSet,
    tokens: Vec<Token>,
    json: JsonRecord,
    on_item: &'o mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    summary: FrameSummary,
    max_sample: usize,
    max_record: usize,
}

impl TextFramer<'_> {
    /// Splits `input` into records, calling `on_item` for each in order; `Break` stops early.
    /// A header-driven object without its header is an error (nothing emitted).
    pub fn frame(
        &self,
        input: &mut dyn Read,
        limits: &Limits,
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<FrameSummary, DecodeError> {
        let csv = matches!(self.format.split, Split::Csv { .. });
        let mut reader =
            RecordReader::new(input, csv, limits.max_record_bytes, limits.max_sample_bytes);
        let mut state = State {
            format: self.format,
            columns: ColumnSet::new(self.format),
            tokens: Vec::new(),
            json: JsonRecord::default(),
            on_item,
            summary: FrameSummary::default(),
            max_sample: limits.max_sample_bytes,
            max_record: limits.max_record_bytes,
        };
        match state.run(&mut reader) {
            Ok(()) => {}
            Err(Halt::Stop) => state.summary.stopped = true,
            Err(Halt::Fail(e)) => return Err(e),
        }
        Ok(state.summary)
    }
}

impl State<'_, '_> {
    fn run(&mut self, reader: &mut RecordReader<'_>) -> Result<(), Halt> {
        let multiline = self.format.multiline_start.clone();
        let mut pending: Option<Pending> = None;
        while let Some(raw) = reader.next()? {
            match raw {
                Raw::TooLarge {
                    sample,
                    line,
                    offset,
                } => {
                    if let Some(p) = pending.take() {
                        self.flush(p)?;
                    }
                    let limit = self.max_record;
                    self.bad(&sample, line, offset, BadReason::TooLarge { limit })?;
                }
                Raw::Record { line, offset } => {
                    let (rec, padded) = reader.record_and_slack(WINDOW);
                    let Some(start) = &multiline else {
                        self.record(rec, Some(padded), line, offset)?;
                        continue;
                    };
                    let starts = std::str::from_utf8(rec).is_ok_and(|s| start.is_match(s));
                    match &mut pending {
                        Some(p) if !starts => {
                            if p.too_large || p.bytes.len() + 1 + rec.len() > self.max_record {
                                p.too_large = true;
                                let room = self.max_sample.saturating_sub(p.bytes.len());
                                if room > 0 {
                                    p.bytes.push(b'\n');
                                    p.bytes.extend_from_slice(&rec[..rec.len().min(room - 1)]);
                                }
                            } else {
                                p.bytes.push(b'\n');
                                p.bytes.extend_from_slice(rec);
                            }
                        }
                        _ => {
                            if let Some(p) = pending.take() {
                                self.flush(p)?;
                            }
                            pending = Some(Pending {
                                bytes: rec.to_vec(),
                                line,
                                offset,
                                too_large: false,
                            });
                        }
                    }
                }
            }
        }
        if let Some(p) = pending.take() {
            self.flush(p)?;
        }
        Ok(())
    }

    /// Emits a record assembled from lines.
    fn flush(&mut self, p: Pending) -> Result<(), Halt> {
        if p.too_large {
            let limit = self.max_record;
            return self.bad(&p.bytes, p.line, p.offset, BadReason::TooLarge { limit });
        }
        self.record(&p.bytes, None, p.line, p.offset)
    }

    fn send(&mut self, item: Item<'_>) -> Result<(), Halt> {
        match (self.on_item)(item) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(Halt::Stop),
        }
    }

    fn bad(
        &mut self,
        sample: &[u8],
        line: u64,
        offset: u64,
        reason: BadReason,
    ) -> Result<(), Halt> {
        let sample = &sample[..sample.len().min(self.max_sample)];
        self.summary.bad += 1;
        self.send(Item::Bad {
            sample,
            line,
            offset,
            reason,
        })
    }

    /// One record (a line, a CSV record, or lines joined): a header, a directive, an event or bad.
    /// `padded`, when given, is the record followed by bytes of slack (see
    /// [`JsonRecord::write_delimited`]).
    fn record(
        &mut self,
        rec: &[u8],
        padded: Option<&[u8]>,
        line: u64,
        offset: u64,
    ) -> Result<(), Halt> {
        if rec.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let written = 'written: {
            if let Split::Delimited { delimiter } = self.format.split {
                // The common case (known columns, the right field count, nothing to escape)
                // goes straight from the record's bytes to its JSON object; anything else below.
                if let Some(columns) = self.columns.settled(rec) {
                    let absent = &self.format.absent;
                    let json = &mut self.json;
                    if let Some(written) =
                        json.write_delimited(rec, padded, delimiter, columns, absent)
                    {
                        break 'written written;
                    }
                }
            }
            if let Err(message) = split(self.format.split, rec, &mut self.tokens) {
                return self.bad(rec, line, offset, BadReason::InvalidText { message });
            }
            let pick = self.columns.pick(self.format, rec, &self.tokens)?;
            let columns = match pick {
                Pick::Skip => return Ok(()),
                Pick::Bad(reason) => return self.bad(rec, line, offset, reason),
                Pick::Columns(columns) => columns,
            };
            self.json.write(
                rec,
                self.format.split,
                columns,
                &self.tokens,
                &self.format.absent,
            )
        };
        match written {
            Ok((raw, fields)) => {
                let (on_item, summary) = (&mut *self.on_item, &mut self.summary);
                deliver(on_item, summary, raw, fields, line, offset)
            }
            Err(reason) => self.bad(rec, line, offset, reason),
        }
    }
}

/// Hands the event `raw` (its fields noted) to the consumer `on_item` and counts it.
fn deliver<F: FnMut(Item<'_>) -> ControlFlow<()> + ?Sized>(
    on_item: &mut F,
    summary: &mut FrameSummary,
    raw: &str,
    fields: &[FieldSpan],
    line: u64,
    offset: u64,
) -> Result<(), Halt> {
    summary.events += 1;
    match on_item(Item::Event {
        raw,
        fields: Some(fields),
        list: None,
        line,
        offset,
    }) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(Halt::Stop),
    }
}
