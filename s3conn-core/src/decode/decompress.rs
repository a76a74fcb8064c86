//! Decompression stage: sniff magic bytes, then gunzip (every member) or unzstd or pass through.

use std::io::{self, Chain, Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};

use super::{DecodeError, Limits};

/// The compression a connector is configured for (its "file type").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    /// Decide by the object's magic bytes.
    #[default]
    Auto,
    /// gzip expected (the bytes still win when they say otherwise).
    Gzip,
    /// zstd expected (the bytes still win when they say otherwise).
    Zstd,
    /// Uncompressed text expected (the bytes still win when they say otherwise).
    Text,
}

impl std::str::FromStr for FileType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(FileType::Auto),
            "gzip" | "gz" => Ok(FileType::Gzip),
            "zstd" | "zst" => Ok(FileType::Zstd),
            "text" | "plain" | "none" => Ok(FileType::Text),
            other => Err(format!(
                "unknown file type '{other}' (expected auto, gzip, zstd or text)"
            )),
        }
    }
}

/// The compression actually found in an object's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Detected {
    /// gzip (`1f 8b`).
    Gzip,
    /// zstd (`28 b5 2f fd`).
    Zstd,
    /// Neither: read as text.
    Text,
}

impl Detected {
    /// What the first bytes of an object say it is.
    pub fn sniff(prefix: &[u8]) -> Detected {
        if prefix.starts_with(&[0x1f, 0x8b]) {
            Detected::Gzip
        } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Detected::Zstd
        } else {
            Detected::Text
        }
    }

    fn matches(self, declared: FileType) -> bool {
        matches!(
            (declared, self),
            (FileType::Auto, _)
                | (FileType::Gzip, Detected::Gzip)
                | (FileType::Zstd, Detected::Zstd)
                | (FileType::Text, Detected::Text)
        )
    }
}

/// A decompressed stream and what was detected.
pub struct Decompressed<'a> {
    /// The decompressed bytes.
    pub reader: Box<dyn Read + Send + 'a>,
    /// The compression the bytes showed.
    pub detected: Detected,
    /// True when the bytes contradicted the configured file type (a warning is counted).
    pub mismatch: bool,
    /// Compressed bytes read so far (shared with the reader).
    pub compressed_bytes: Arc<AtomicU64>,
    /// Decompressed bytes produced so far (shared with the reader).
    pub decompressed_bytes: Arc<AtomicU64>,
}

/// The decompression stage of a decoder.
pub trait Decompressor: Send + Sync + std::fmt::Debug {
    /// Wraps an object's raw bytes in a reader of its decompressed bytes.
    fn decompress<'a>(
        &self,
        input: Box<dyn Read + Send + 'a>,
        limits: &Limits,
    ) -> Result<Decompressed<'a>, DecodeError>;
}

/// The standard decompressor: magic bytes decide; the configured type only raises a warning when contradicted.
#[derive(Debug, Clone, Copy, Default)]
pub struct SniffingDecompressor {
    /// The configured file type.
    pub declared: FileType,
}

struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Enforces the decompressed-size and compression-ratio limits while reading.
struct Limited<R> {
    inner: R,
    produced: Arc<AtomicU64>,
    consumed: Arc<AtomicU64>,
    max_bytes: u64,
    max_ratio: u64,
    ratio_floor: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.produced.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if total > self.max_bytes {
            return Err(io::Error::other(LimitHit(format!(
                "decompressed size exceeds the limit of {} bytes",
                self.max_bytes
            ))));
        }
        if total > self.ratio_floor {
            let consumed = self.consumed.load(Ordering::Relaxed).max(1);
            if total / consumed > self.max_ratio {
                return Err(io::Error::other(LimitHit(format!(
                    "compression ratio exceeds the limit of {}:1 ({} bytes from {} compressed)",
                    self.max_ratio, total, consumed
                ))));
            }
        }
        Ok(n)
    }
}

/// Marker error for a limit hit inside a reader.
#[derive(Debug)]
pub(crate) struct LimitHit(pub(crate) String);

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitHit {}

impl Decompressor for SniffingDecompressor {
    fn decompress<'a>(
        &self,
        mut input: Box<dyn Read + Send + 'a>,
        limits: &Limits,
    ) -> Result<Decompressed<'a>, DecodeError> {
        let mut prefix = [0u8; 4];
        let mut filled = 0;
        while filled < prefix.len() {
            match input.read(&mut prefix[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(DecodeError::from_io(e, 0)),
            }
        }
        let detected = Detected::sniff(&prefix[..filled]);
        let compressed_bytes = Arc::new(AtomicU64::new(0));
        let decompressed_bytes = Arc::new(AtomicU64::new(0));
        let raw: Chain<Cursor<Vec<u8>>, Box<dyn Read + Send + 'a>> =
            Cursor::new(prefix[..filled].to_vec()).chain(input);
        let counted = Counting {
            inner: raw,
            count: compressed_bytes.clone(),
        };
        let inner: Box<dyn Read + Send + 'a> = match detected {
            Detected::Gzip => Box::new(MultiGzDecoder::new(io::BufReader::with_capacity(
                64 * 1024,
                counted,
            ))),
            Detected::Zstd => Box::new(zstd::stream::read::Decoder::new(counted).map_err(|e| {
                DecodeError::Corrupt {
                    format: "zstd",
                    offset: 0,
                    reason: e.to_string(),
                }
            })?),
            Detected::Text => Box::new(counted),
        };
        let reader = Box::new(Limited {
            inner,
            produced: decompressed_bytes.clone(),
            consumed: compressed_bytes.clone(),
            max_bytes: limits.max_decompressed_bytes,
            max_ratio: if detected == Detected::Text {
                u64::MAX
            } else {
                limits.max_compression_ratio
            },
            ratio_floor: limits.ratio_check_after_bytes,
        });
        Ok(Decompressed {
            reader,
            detected,
            mismatch: !detected.matches(self.declared),
            compressed_bytes,
            decompressed_bytes,
        })
    }
}
