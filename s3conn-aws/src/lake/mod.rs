//! The S3 data-lake sink: records written as whole objects, partitioned the Hive way.
//!
//! ```text
//! PREFIX/index=<index>/msg_class=<msg_class>/dt=YYYY-MM-DD/hour=HH/<unique>.parquet
//! ```
//!
//! The partition comes from the record's source (`index`, `msg_class`, sanitised for keys: see
//! *Partitions* below) and its timestamp in UTC; `<unique>` is the UTC time of the
//! write, a random token drawn once per process and a sequence number
//! (`20231114T221320Z-9f0c…-000042`), so processes never overwrite each other. The format is
//! Parquet ([`LakeFormat::Parquet`], cargo feature `parquet`; schema below) or gzip NDJSON
//! ([`LakeFormat::NdjsonGz`], `.ndjson.gz`, one record per line as `NdjsonSink` writes it; no
//! feature needed).
//!
//! # Delivery guarantee, and how it squares with rolling
//! `deliver` returns `Ok` only when every record of its batch is in an object that was completely
//! written: a `PutObject`, or for an object larger than `part_bytes` a multipart upload that was
//! completed (a failed one is aborted, never visible). The pipeline acknowledges a queue message
//! only after `deliver` returned `Ok` for all of its records, so an acknowledged message is in
//! the lake.
//!
//! Rolling by size and age would mean holding records for minutes, and the pipeline cannot wait
//! that long: it delivers each object's batches one after the other, with a few objects at once
//! (`max_objects_in_flight`, default 4). So the sink *group-commits*: `deliver` adds its batch to
//! a shared buffer and waits; the buffer (one object per partition) is written as soon as
//!
//! - it holds `roll_bytes` of records (default 64 MiB), or
//! - `flush_waiters` deliveries wait on it (default 4: when every object in flight waits on the
//!   sink, nothing more will arrive — waiting longer would only add latency), or
//! - no batch arrived for `linger` (default 250 ms) — fewer objects in flight than
//!   `flush_waiters`, or the queue ran dry, or
//! - its first record is `roll_age` old (default 60 s) — batches keep trickling in.
//!
//! Objects are therefore as large as what the pipeline holds in flight when all of it waits
//! (about `max_objects_in_flight` × the sink batch, 1000 records or 4 MiB by default), capped by
//! `roll_bytes`. For larger objects raise `max_objects_in_flight` with `flush_waiters`, and the
//! batch size; setting `flush_waiters` very high and `linger` to `roll_age` gives pure size/age
//! rolling, at the cost of holding every message that long.
//!
//! While one buffer is written, the next fills. Memory is bounded by the roll size: at most two
//! rolls' worth of records are buffered or being uploaded (a batch that does not fit waits, and
//! makes the buffer roll at once), plus each object's encoded body while it is sent — about three
//! times `roll_bytes` in the worst case, whatever the input size.
//!
//! A failed object fails the deliveries whose records it held (others of the same buffer in
//! other partitions succeed): retryable S3 failures (throttling, 5xx, timeouts, connection
//! errors) are retried per request with backoff and then reported as
//! [`SinkError::Retryable`](s3conn_core::SinkError) for the pipeline to retry the batch;
//! permission, missing-bucket and credential failures are
//! [`SinkError::Rejected`](s3conn_core::SinkError) naming the bucket and key. A retried batch may
//! land twice in the lake (a partition written while another failed): records carry a stable
//! `id` to de-duplicate on.
//!
//! # Partitions
//! Values keep ASCII letters, digits, `-`, `_` and `.`; any other character becomes `_`
//! (`AWS Events` → `index=AWS_Events`); values are cut at 100 characters; an empty value is `_`.
//! The exact values are in the `index` and `msg_class` columns.
//!
//! # Parquet schema
//! One row per record, one row group per object, zstd-compressed pages; the columns mirror the
//! record's JSON (`Record::write_json`):
//!
//! | column | type | |
//! |---|---|---|
//! | `id` | string | the record's stable id (object hash `-` ordinal) |
//! | `index`, `msg_class` | string | the source's index and class |
//! | `msg_origin` | struct of `source`, `vendor`, `category` strings | |
//! | `timestamp` | timestamp (ms, UTC) | the event's time, or the object's when it had none |
//! | `timestamp_fallback` | boolean | `true` when `timestamp` is not the event's own |
//! | `fallback_reason` | string, optional | why |
//! | `tenant`, `connector` | string, optional | from the configuration |
//! | `s3` | struct of `bucket`, `key` strings, `etag`, `version_id` optional strings | the object read |
//! | `event_name`, `event_type`, `user`, `src_ip`, `host`, `outcome` | string, optional | common fields |
//! | `event` | string (logical type JSON) | the original event, on one line |

mod encoding;
mod ndjson;
#[cfg(feature = "parquet")]
mod parquet;
mod partition;
mod settings;
mod sink;
mod upload;

#[cfg(feature = "parquet")]
pub use self::parquet::SCHEMA as PARQUET_SCHEMA;
pub use encoding::{encode_object, EncodeError};
pub use settings::{LakeConfigError, LakeFormat, LakeSettings};
pub use sink::LakeSink;
