//! What the data-lake sink writes where ([`LakeSettings`], [`LakeFormat`]) and what makes a
//! setting unusable ([`LakeConfigError`]).

use std::time::Duration;

use crate::retry::RetryPolicy;

/// The file format of the lake's objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LakeFormat {
    /// Apache Parquet (`.parquet`, zstd pages): needs the cargo feature `parquet`.
    #[default]
    Parquet,
    /// Gzip-compressed NDJSON (`.ndjson.gz`), one record per line as `NdjsonSink` writes it.
    NdjsonGz,
}

impl LakeFormat {
    /// The file-name extension of its objects, without the leading dot.
    pub fn extension(self) -> &'static str {
        match self {
            LakeFormat::Parquet => "parquet",
            LakeFormat::NdjsonGz => "ndjson.gz",
        }
    }

    /// The `Content-Type` its objects are stored with.
    pub fn content_type(self) -> &'static str {
        match self {
            LakeFormat::Parquet => "application/vnd.apache.parquet",
            LakeFormat::NdjsonGz => "application/gzip",
        }
    }
}

impl std::str::FromStr for LakeFormat {
    type Err = LakeConfigError;

    /// `parquet` or `ndjson.gz` (the names of the `[sink]` table's `format`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "parquet" => Ok(LakeFormat::Parquet),
            "ndjson.gz" | "ndjson-gz" => Ok(LakeFormat::NdjsonGz),
            other => Err(LakeConfigError::UnknownFormat(other.to_owned())),
        }
    }
}

/// Where and how the data-lake sink writes. Build with [`LakeSettings::new`], then set fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeSettings {
    /// The bucket written to.
    pub bucket: String,
    /// Key prefix before the partitions (no leading or trailing `/` needed; empty for none).
    pub prefix: String,
    /// The objects' file format (default Parquet).
    pub format: LakeFormat,
    /// An object is written once the records buffered for it reach this many bytes of record
    /// data (default 64 MiB). Peak memory stays within about three times this value.
    pub roll_bytes: usize,
    /// Longest time records may wait in the buffer before their object is written (default 60 s).
    pub roll_age: Duration,
    /// Write as soon as this many `deliver` calls wait on the buffer (default 4, the pipeline's
    /// `max_objects_in_flight`: when every object being worked on waits, nothing more arrives).
    pub flush_waiters: usize,
    /// Write when no new batch arrived for this long while some wait (default 250 ms).
    pub linger: Duration,
    /// Objects larger than this are written by a multipart upload in parts of this size
    /// (default 16 MiB; S3 requires at least 5 MiB).
    pub part_bytes: usize,
    /// Retries of each S3 request (PutObject, UploadPart, …) on retryable failures.
    pub retry: RetryPolicy,
}

impl LakeSettings {
    /// Default settings writing Parquet into `bucket` with no prefix.
    pub fn new(bucket: impl Into<String>) -> Self {
        LakeSettings {
            bucket: bucket.into(),
            prefix: String::new(),
            format: LakeFormat::default(),
            roll_bytes: 64 << 20,
            roll_age: Duration::from_secs(60),
            flush_waiters: 4,
            linger: Duration::from_millis(250),
            part_bytes: 16 << 20,
            retry: RetryPolicy::new(5, Duration::from_millis(200), Duration::from_secs(10)),
        }
    }

    /// Checks the settings: a bucket, non-zero sizes and times, a format this build can write.
    pub fn validate(&self) -> Result<(), LakeConfigError> {
        if self.bucket.trim().is_empty() {
            return Err(LakeConfigError::Invalid("bucket is empty".into()));
        }
        if self.roll_bytes == 0 {
            return Err(LakeConfigError::Invalid(
                "roll_bytes must be above 0".into(),
            ));
        }
        if self.roll_age.is_zero() || self.linger.is_zero() {
            return Err(LakeConfigError::Invalid(
                "roll_age and linger must be above 0".into(),
            ));
        }
        if self.flush_waiters == 0 {
            return Err(LakeConfigError::Invalid(
                "flush_waiters must be above 0".into(),
            ));
        }
        if self.part_bytes == 0 {
            return Err(LakeConfigError::Invalid(
                "part_bytes must be above 0".into(),
            ));
        }
        if self.format == LakeFormat::Parquet && !cfg!(feature = "parquet") {
            return Err(LakeConfigError::ParquetNotBuilt);
        }
        Ok(())
    }

    /// The prefix as written before the partitions: trimmed of `/`, and ending in `/` unless empty.
    pub(crate) fn key_prefix(&self) -> String {
        let p = self.prefix.trim_matches('/');
        if p.is_empty() {
            String::new()
        } else {
            format!("{p}/")
        }
    }
}

/// A data-lake setting that cannot work: a configuration problem, not retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LakeConfigError {
    /// A setting out of range.
    #[error("invalid data-lake sink setting: {0}")]
    Invalid(String),
    /// `format` names no known format.
    #[error("unknown data-lake format {0:?} (expected \"parquet\" or \"ndjson.gz\")")]
    UnknownFormat(String),
    /// Parquet was asked for but this build lacks the cargo feature `parquet`.
    #[error("this build cannot write Parquet: rebuild with the cargo feature `parquet`, or use format \"ndjson.gz\"")]
    ParquetNotBuilt,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_prefix_is_normalised() {
        let mut s = LakeSettings::new("lake");
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.key_prefix(), "");
        s.prefix = "/s3conn/logs/".into();
        assert_eq!(s.key_prefix(), "s3conn/logs/");
        s.bucket = " ".into();
        assert!(matches!(s.validate(), Err(LakeConfigError::Invalid(_))));
    }

    #[test]
    fn formats_parse_by_their_config_names() {
        assert_eq!("parquet".parse(), Ok(LakeFormat::Parquet));
        assert_eq!("ndjson.gz".parse(), Ok(LakeFormat::NdjsonGz));
        assert!(matches!(
            "csv".parse::<LakeFormat>(),
            Err(LakeConfigError::UnknownFormat(_))
        ));
        assert_eq!(LakeFormat::NdjsonGz.extension(), "ndjson.gz");
    }
}
