//! One object's bytes to batches of records: decode, normalize, filter (blocking, CPU-bound).

use std::io::Read;
use std::ops::ControlFlow;
use std::sync::Arc;

use crate::decode::text::TextFormat;
use crate::decode::{DecodeError, DecodeSummary, Decoder, DecoderConfig, Item, JsonDecoder};
use crate::filter::RecordFilters;
use crate::json::{FieldSpan, RawJson};
use crate::record::{ObjectContext, Record};
use crate::sink::{DeadLetter, DeadLetterKind};
use crate::source::{Event, LogSource};

/// How large a batch handed to the sink may grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Records per batch.
    pub max_records: usize,
    /// Approximate bytes (of original events) per batch.
    pub max_bytes: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            max_records: 1000,
            max_bytes: 4 << 20,
        }
    }
}

/// A batch of one object's output, in order.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Records to deliver.
    pub records: Vec<Record>,
    /// Items to dead-letter.
    pub dead_letters: Vec<DeadLetter>,
    /// Records dropped by log filters.
    pub filtered: u64,
    /// Records using the fallback timestamp.
    pub fallbacks: u64,
    /// Ordinal after the last item of this batch (the object is done up to here once delivered).
    pub end_ordinal: u64,
    /// Why each of `dead_letters` was given up on, as a metric label (`BadReason::label`).
    pub bad_reasons: Vec<&'static str>,
    /// Bytes of the events in `records`.
    pub record_bytes: usize,
    bytes: usize,
}

impl Batch {
    /// Approximate size in bytes (original events and dead-letter samples).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn is_empty(&self) -> bool {
        self.records.is_empty() && self.dead_letters.is_empty() && self.filtered == 0
    }
}

/// Everything needed to turn one object into records.
#[derive(Debug, Clone)]
pub(crate) struct ObjectJob {
    /// The log source.
    pub source: Arc<dyn LogSource>,
    /// The decoder.
    pub decoder: Arc<dyn Decoder>,
    /// Record filters.
    pub filters: Arc<RecordFilters>,
    /// The object.
    pub context: Arc<ObjectContext>,
    /// Batch size limits.
    pub batch: BatchLimits,
    /// Items before this ordinal were delivered by an earlier attempt: skip them.
    pub resume_at: u64,
    /// Time used when neither the event nor the object has one (epoch ms).
    pub now_ms: i64,
}

impl ObjectJob {
    /// Decodes `input` and hands batches to `emit` in order; `Break` from `emit` stops early.
    pub fn run(
        &self,
        input: Box<dyn Read + Send + '_>,
        emit: &mut dyn FnMut(Batch) -> ControlFlow<()>,
    ) -> Result<DecodeSummary, DecodeError> {
        let expand = self.source.expand_fields();
        let mut batch = Batch::default();
        let mut ordinal = 0u64;
        let mut stopped = false;
        let fallback_ms = self.context.last_modified_ms.unwrap_or(self.now_ms);
        let format = self.source.text_format();
        let result = self.decode(input, format, expand, &mut |item| {
            let this = ordinal;
            ordinal += 1;
            if this < self.resume_at {
                return ControlFlow::Continue(());
            }
            match item {
                Item::Event {
                    raw,
                    fields,
                    list,
                    line: _,
                    offset: _,
                } => {
                    let record = self.normalize(raw, fields, list, this, fallback_ms);
                    if record.fields.timestamp_ms.is_none() {
                        batch.fallbacks += 1;
                    }
                    if self.filters.accepts(&record) {
                        batch.bytes += raw.len();
                        batch.record_bytes += raw.len();
                        batch.records.push(record);
                    } else {
                        batch.filtered += 1;
                    }
                }
                Item::Bad {
                    sample,
                    line,
                    offset,
                    reason,
                } => {
                    batch.bytes += sample.len();
                    batch.bad_reasons.push(reason.label());
                    batch.dead_letters.push(DeadLetter {
                        kind: DeadLetterKind::Record,
                        reason: format!(
                            "{} (line {line}, byte {offset}) of {}",
                            reason, self.context.object
                        ),
                        object: Some(self.context.object.clone()),
                        message_id: None,
                        line: Some(line),
                        offset: Some(offset),
                        ordinal: Some(this),
                        raw: sample.to_vec(),
                    });
                }
            }
            if batch.records.len() + batch.dead_letters.len() >= self.batch.max_records
                || batch.bytes >= self.batch.max_bytes
            {
                batch.end_ordinal = ordinal;
                let full = std::mem::take(&mut batch);
                if emit(full).is_break() {
                    stopped = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        if !stopped {
            batch.end_ordinal = ordinal;
            if !batch.is_empty() || result.is_ok() {
                let _ = emit(batch);
            }
        }
        result
    }

    /// Decodes with the source's text format when it has one, else as JSON.
    fn decode(
        &self,
        input: Box<dyn Read + Send + '_>,
        format: Option<&TextFormat>,
        expand: &[String],
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<DecodeSummary, DecodeError> {
        match format {
            Some(format) => self.decoder.decode_text(input, format, expand, on_item),
            None => self.decoder.decode(input, expand, on_item),
        }
    }

    fn normalize(
        &self,
        raw: &str,
        fields: Option<&[FieldSpan]>,
        list: Option<&str>,
        ordinal: u64,
        fallback_ms: i64,
    ) -> Record {
        let event = Event::new(raw, &self.context, list).with_fields(fields);
        let fields = self.source.normalize(&event);
        Record {
            source: self.source.info().clone(),
            context: self.context.clone(),
            ordinal,
            timestamp_ms: fields.timestamp_ms.unwrap_or(fallback_ms),
            fields,
            event: RawJson::from_validated(raw),
        }
    }
}

/// Everything one object produced, collected in memory (tests and tools).
#[derive(Debug)]
pub struct ObjectOutput {
    /// Delivered records, in order.
    pub records: Vec<Record>,
    /// Dead-lettered items, in order.
    pub dead_letters: Vec<DeadLetter>,
    /// Records dropped by filters.
    pub filtered: u64,
    /// The decoder's summary, or why the object could not be decoded (after the records above).
    pub result: Result<DecodeSummary, DecodeError>,
}

/// Runs a source over one object's bytes in memory: the same code path as the pipeline.
pub fn process_object_bytes(
    source: &Arc<dyn LogSource>,
    config: &DecoderConfig,
    context: ObjectContext,
    bytes: &[u8],
) -> ObjectOutput {
    let job = ObjectJob {
        source: source.clone(),
        decoder: Arc::new(JsonDecoder::new(config)),
        filters: Arc::new(RecordFilters::default()),
        context: Arc::new(context),
        batch: BatchLimits::default(),
        resume_at: 0,
        now_ms: 0,
    };
    let mut records = Vec::new();
    let mut dead_letters = Vec::new();
    let mut filtered = 0;
    let result = job.run(Box::new(bytes), &mut |batch| {
        records.extend(batch.records);
        dead_letters.extend(batch.dead_letters);
        filtered += batch.filtered;
        ControlFlow::Continue(())
    });
    ObjectOutput {
        records,
        dead_letters,
        filtered,
        result,
    }
}
