//! The gzip NDJSON format of the lake: one record per line, exactly as `NdjsonSink` writes it,
//! the whole object one gzip member. Needs neither Parquet nor Arrow.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use s3conn_core::Record;

use super::encoding::EncodeError;

/// NDJSON lines of some records, not yet compressed.
#[derive(Debug, Default)]
pub(crate) struct NdjsonChunk {
    lines: Vec<u8>,
}

impl NdjsonChunk {
    /// The lines of `records`.
    pub fn from_records(records: &[&Record]) -> Self {
        let guess: usize = records.iter().map(|r| r.event.get().len() + 400).sum();
        let mut lines = Vec::with_capacity(guess);
        for r in records {
            r.write_ndjson(&mut lines);
        }
        NdjsonChunk { lines }
    }

    /// Bytes of NDJSON held.
    pub fn bytes(&self) -> usize {
        self.lines.len()
    }
}

/// One gzip member holding every chunk's lines, in order.
pub(crate) fn write_gzip(
    chunks: impl Iterator<Item = NdjsonChunk>,
) -> Result<Vec<u8>, EncodeError> {
    // Level 1: NDJSON of logs still shrinks several times over, at several times level 6's speed.
    let mut gz = GzEncoder::new(Vec::new(), Compression::new(1));
    for chunk in chunks {
        gz.write_all(&chunk.lines)
            .map_err(|e| EncodeError(format!("gzip: {e}")))?;
    }
    gz.finish().map_err(|e| EncodeError(format!("gzip: {e}")))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use s3conn_core::testing::sample_records;

    #[test]
    fn chunks_become_one_gzip_member_of_ndjson_lines() {
        let records = sample_records("gz", 5);
        let refs: Vec<&Record> = records.iter().collect();
        let chunks = vec![
            NdjsonChunk::from_records(&refs[..2]),
            NdjsonChunk::from_records(&refs[2..]),
        ];
        let body = write_gzip(chunks.into_iter()).expect("gzip");
        let mut text = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut text)
            .expect("gunzip");
        let want: String = records.iter().map(|r| r.to_json() + "\n").collect();
        assert_eq!(text, want);
    }
}
