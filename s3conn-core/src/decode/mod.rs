//! Decoding: an object's bytes to JSON events, in swappable stages.
//!
//! [`Decompressor`] (magic-byte sniffing, every gzip member, zstd) → [`Framer`] (auto / single /
//! lines, list expansion) → [`Item`]s. [`JsonDecoder`] composes the standard stages.
//!
//! Text logs (VPC Flow, CloudFront, CSV, ALB, S3 access, …) go through the same decompressor
//! and limits with a [`text::TextFramer`] instead, when the source has a
//! [`text::TextFormat`]: see [`text`] for the API and the sniffing order (compression → JSON or
//! text → binary check).

mod decompress;
mod frame;
mod refill;
pub mod text;

use std::io::{self, Read};
use std::ops::ControlFlow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Classify, ErrorClass};

pub use decompress::{Decompressed, Decompressor, Detected, FileType, SniffingDecompressor};
pub use frame::{BadReason, FrameSummary, Framer, Framing, Item, JsonFramer};

/// Limits that keep hostile or broken objects from exhausting memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest decompressed size of one object, in bytes (default 64 GiB).
    pub max_decompressed_bytes: u64,
    /// Largest decompressed:compressed ratio, checked once `ratio_check_after_bytes` were produced (default 200).
    pub max_compression_ratio: u64,
    /// Decompressed bytes after which the ratio is checked (default 64 MiB).
    pub ratio_check_after_bytes: u64,
    /// Largest single record, in bytes (default 16 MiB).
    pub max_record_bytes: usize,
    /// Deepest nesting of a record (default 100; the JSON parser's own limit is 128).
    pub max_depth: u32,
    /// Bytes of a bad record kept for the dead-letter destination (default 64 KiB).
    pub max_sample_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 64 << 30,
            max_compression_ratio: 200,
            ratio_check_after_bytes: 64 << 20,
            max_record_bytes: 16 << 20,
            max_depth: 100,
            max_sample_bytes: 64 << 10,
        }
    }
}

/// An object that cannot be decoded (past the point reached).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The compressed stream is corrupt or truncated.
    #[error("corrupt {format} data at decompressed byte {offset}: {reason}")]
    Corrupt {
        /// `gzip`, `zstd` or `text`.
        format: &'static str,
        /// Decompressed bytes produced before the failure.
        offset: u64,
        /// What the decompressor said.
        reason: String,
    },
    /// A size or ratio limit was exceeded (gzip bomb protection).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// Reading the object's bytes failed (the download broke off).
    #[error("reading the object failed: {0}")]
    Read(String),
    /// A header-driven text object does not start with its header (nothing is decoded).
    #[error("{format} object without its {header}: {found}")]
    MissingHeader {
        /// The text format's name.
        format: String,
        /// The header that is missing (`#Fields:`, `VPC Flow Logs header line`, …).
        header: String,
        /// What was found instead.
        found: String,
    },
    /// The object is not text (binary data) though its source reads text.
    #[error("not text at decompressed byte {offset}: {reason}")]
    NotText {
        /// Where the first non-text byte is.
        offset: u64,
        /// What was found.
        reason: String,
    },
    /// This decoder cannot decode what the source asks for.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl Classify for DecodeError {
    fn class(&self) -> ErrorClass {
        match self {
            DecodeError::Read(_) => ErrorClass::Retryable,
            DecodeError::Corrupt { .. }
            | DecodeError::LimitExceeded(_)
            | DecodeError::MissingHeader { .. }
            | DecodeError::NotText { .. } => ErrorClass::Permanent,
            DecodeError::Unsupported(_) => ErrorClass::Configuration,
        }
    }
}

/// Marker carried inside an `io::Error` when the byte source itself failed (not the data).
#[derive(Debug)]
pub struct SourceReadError(pub String);

impl std::fmt::Display for SourceReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceReadError {}

impl DecodeError {
    /// Classifies an I/O error from a decompressing reader.
    pub(crate) fn from_io(e: io::Error, offset: u64) -> DecodeError {
        if let Some(inner) = e.get_ref() {
            if let Some(hit) = inner.downcast_ref::<decompress::LimitHit>() {
                return DecodeError::LimitExceeded(hit.0.clone());
            }
            if let Some(src) = inner.downcast_ref::<SourceReadError>() {
                return DecodeError::Read(src.0.clone());
            }
        }
        let reason = if e.kind() == io::ErrorKind::UnexpectedEof {
            format!("truncated: {e}")
        } else {
            e.to_string()
        };
        DecodeError::Corrupt {
            format: "compressed",
            offset,
            reason,
        }
    }

    fn with_format(self, detected: Detected) -> DecodeError {
        match self {
            DecodeError::Corrupt { offset, reason, .. } => DecodeError::Corrupt {
                format: match detected {
                    Detected::Gzip => "gzip",
                    Detected::Zstd => "zstd",
                    Detected::Text => "text",
                },
                offset,
                reason,
            },
            other => other,
        }
    }
}

/// What decoding one object found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DecodeSummary {
    /// Compression found in the bytes.
    pub detected: Detected,
    /// The bytes contradicted the configured file type.
    pub mismatch: bool,
    /// Compressed bytes read.
    pub compressed_bytes: u64,
    /// Decompressed bytes produced.
    pub decompressed_bytes: u64,
    /// Events and bad frames.
    pub frames: FrameSummary,
}

/// Turns the bytes of one object into JSON events.
///
/// # Contract
/// `decode` calls `on_item` once per event or bad frame, in object order, and returns a summary;
/// `ControlFlow::Break` from `on_item` stops it early (the summary says so). Memory stays bounded
/// by the limits, whatever the object size. It never panics on input. An `Err` means the object
/// could not be read past some point; items before that point were emitted.
pub trait Decoder: Send + Sync + std::fmt::Debug {
    /// Decodes one object's bytes; `expand` names list fields whose elements are the events.
    fn decode(
        &self,
        input: Box<dyn Read + Send + '_>,
        expand: &[String],
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<DecodeSummary, DecodeError>;

    /// Decodes one object of a source that reads `format` (see [`text`] for the sniffing order:
    /// JSON content still goes through the JSON framing with `expand`). The default says the
    /// decoder cannot: a configuration error, never a silent JSON decode.
    fn decode_text(
        &self,
        input: Box<dyn Read + Send + '_>,
        format: &text::TextFormat,
        expand: &[String],
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<DecodeSummary, DecodeError> {
        let _ = (input, expand, on_item);
        Err(DecodeError::Unsupported(format!(
            "this decoder does not decode text ({})",
            format.name
        )))
    }
}

const _: Option<&dyn Decoder> = None;

/// How to decode objects: the compression expected, the framing, and the limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecoderConfig {
    /// Expected compression (the bytes win when they disagree).
    pub file_type: FileType,
    /// How events are delimited.
    pub framing: Framing,
    /// Size and depth limits.
    pub limits: Limits,
}

/// The standard decoder: a decompressor stage, then a framer stage.
#[derive(Debug, Clone)]
pub struct JsonDecoder {
    decompressor: Arc<dyn Decompressor>,
    framer: Arc<dyn Framer>,
    limits: Limits,
}

impl JsonDecoder {
    /// The standard stages for a configuration.
    pub fn new(config: &DecoderConfig) -> Self {
        JsonDecoder {
            decompressor: Arc::new(SniffingDecompressor {
                declared: config.file_type,
            }),
            framer: Arc::new(JsonFramer {
                framing: config.framing,
            }),
            limits: config.limits.clone(),
        }
    }
}

impl Decoder for JsonDecoder {
    fn decode(
        &self,
        input: Box<dyn Read + Send + '_>,
        expand: &[String],
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<DecodeSummary, DecodeError> {
        self.run(input, |reader, limits| {
            self.framer.frame(reader, expand, limits, on_item)
        })
    }

    fn decode_text(
        &self,
        input: Box<dyn Read + Send + '_>,
        format: &text::TextFormat,
        expand: &[String],
        on_item: &mut dyn FnMut(Item<'_>) -> ControlFlow<()>,
    ) -> Result<DecodeSummary, DecodeError> {
        self.run(input, |reader, limits| {
            let (content, mut reader) = text::sniff(reader)?;
            match content {
                text::Content::Json => self.framer.frame(&mut reader, expand, limits, on_item),
                text::Content::Text => {
                    text::TextFramer { format }.frame(&mut reader, limits, on_item)
                }
            }
        })
    }
}

impl JsonDecoder {
    /// Decompresses `input` and runs `frame` over the decompressed bytes.
    fn run<'i>(
        &self,
        input: Box<dyn Read + Send + 'i>,
        frame: impl FnOnce(&mut (dyn Read + Send + 'i), &Limits) -> Result<FrameSummary, DecodeError>,
    ) -> Result<DecodeSummary, DecodeError> {
        let Decompressed {
            mut reader,
            detected,
            mismatch,
            compressed_bytes,
            decompressed_bytes,
        } = self.decompressor.decompress(input, &self.limits)?;
        let frames = frame(&mut *reader, &self.limits).map_err(|e| e.with_format(detected))?;
        Ok(DecodeSummary {
            detected,
            mismatch,
            compressed_bytes: compressed_bytes.load(Ordering::Relaxed),
            decompressed_bytes: decompressed_bytes.load(Ordering::Relaxed),
            frames,
        })
    }
}

#[cfg(test)]
mod tests;
