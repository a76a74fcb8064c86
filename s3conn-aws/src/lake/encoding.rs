//! The two steps of turning records into an object's bytes, whatever the format: each batch's
//! records of one partition become a [`Chunk`] as they arrive ([`encode`]); the chunks of a
//! partition become the object's body when it is written ([`finish`]). Both are CPU work: the
//! sink runs them off the async threads.

use s3conn_core::Record;

use super::ndjson::NdjsonChunk;
#[cfg(feature = "parquet")]
use super::parquet::Columns;
use super::settings::LakeFormat;

/// Records of one partition, encoded as far as they can be before the object is written.
#[derive(Debug)]
pub(crate) enum Chunk {
    /// NDJSON lines, compressed at [`finish`].
    Ndjson(NdjsonChunk),
    /// Column buffers, written as Parquet pages at [`finish`].
    #[cfg(feature = "parquet")]
    Parquet(Box<Columns>),
}

impl Chunk {
    /// Bytes of record data the chunk holds (what `roll_bytes` counts).
    pub fn bytes(&self) -> usize {
        match self {
            Chunk::Ndjson(c) => c.bytes(),
            #[cfg(feature = "parquet")]
            Chunk::Parquet(c) => c.bytes(),
        }
    }
}

/// Why an object's body could not be made (a bug, a resource problem, or a format this build
/// lacks; never the records' fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode the object: {0}")]
pub struct EncodeError(pub(crate) String);

/// The body of one lake object holding `records`, in order, in `format`: what [`LakeSink`]
/// uploads (it splits records by partition first). CPU work: call it off the async threads.
///
/// [`LakeSink`]: super::LakeSink
pub fn encode_object(format: LakeFormat, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    if format == LakeFormat::Parquet && !cfg!(feature = "parquet") {
        return Err(EncodeError(
            "built without the cargo feature `parquet`".into(),
        ));
    }
    let refs: Vec<&Record> = records.iter().collect();
    finish(format, vec![encode(format, &refs)])
}

/// Encodes `records` (one partition's share of a batch) for `format`.
///
/// `format` was validated: Parquet only reaches here in builds with the `parquet` feature.
pub(crate) fn encode(format: LakeFormat, records: &[&Record]) -> Chunk {
    match format {
        #[cfg(feature = "parquet")]
        LakeFormat::Parquet => Chunk::Parquet(Box::new(Columns::from_records(records))),
        _ => Chunk::Ndjson(NdjsonChunk::from_records(records)),
    }
}

/// The body of one object holding `chunks`, in order.
// Without the `parquet` feature `Chunk` has one variant, and the `filter_map` below always keeps.
#[allow(clippy::unnecessary_filter_map)]
pub(crate) fn finish(format: LakeFormat, chunks: Vec<Chunk>) -> Result<Vec<u8>, EncodeError> {
    match format {
        #[cfg(feature = "parquet")]
        LakeFormat::Parquet => {
            super::parquet::write_file(chunks.into_iter().filter_map(|c| match c {
                Chunk::Parquet(columns) => Some(*columns),
                Chunk::Ndjson(_) => None,
            }))
        }
        _ => super::ndjson::write_gzip(chunks.into_iter().filter_map(|c| match c {
            Chunk::Ndjson(lines) => Some(lines),
            #[cfg(feature = "parquet")]
            Chunk::Parquet(_) => None,
        })),
    }
}
