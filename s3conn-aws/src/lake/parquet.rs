//! The Parquet format of the lake (cargo feature `parquet`): the schema ([`SCHEMA`]), the column
//! buffers records are copied into as they arrive ([`Columns`]), and the file written from them
//! ([`write_file`]): one row group, zstd (level 1) pages, dictionary encoding for the envelope
//! columns, plain encoding for `id` and `event`.
//!
//! The schema mirrors the JSON `Record::write_json` writes, column for field, so a row and an
//! NDJSON line say the same thing; `event` holds the original event as one line of JSON text
//! (logical type `JSON`), `timestamp` is a UTC timestamp in milliseconds, and `timestamp_fallback`
//! is `true` where the JSON has `"timestamp_fallback": true` (and `false` where it has none).
//! No Arrow: the low-level column writer takes the buffers as they are.

use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Compression, ZstdLevel};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;
use s3conn_core::json::write_single_line;
use s3conn_core::{Outcome, Record};

use super::encoding::EncodeError;

/// The message type of every Parquet object the lake writes (columns in file order).
pub const SCHEMA: &str = "message s3conn_record {
  required binary id (STRING);
  required binary index (STRING);
  required binary msg_class (STRING);
  required group msg_origin {
    required binary source (STRING);
    required binary vendor (STRING);
    required binary category (STRING);
  }
  required int64 timestamp (TIMESTAMP(MILLIS,true));
  required boolean timestamp_fallback;
  optional binary fallback_reason (STRING);
  optional binary tenant (STRING);
  optional binary connector (STRING);
  required group s3 {
    required binary bucket (STRING);
    required binary key (STRING);
    optional binary etag (STRING);
    optional binary version_id (STRING);
  }
  optional binary event_name (STRING);
  optional binary event_type (STRING);
  optional binary user (STRING);
  optional binary src_ip (STRING);
  optional binary host (STRING);
  optional binary outcome (STRING);
  required binary event (JSON);
}";

/// Strings of one column, back to back, and where each ends.
#[derive(Debug, Default)]
struct Strings {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Strings {
    fn push(&mut self, s: &str) {
        self.data.extend_from_slice(s.as_bytes());
        self.ends.push(self.data.len());
    }

    fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        write(&mut self.data);
        self.ends.push(self.data.len());
    }

    /// The values as the column writer takes them: slices of one buffer, no copy.
    fn into_values(self) -> Vec<ByteArray> {
        let data = Bytes::from(self.data);
        let mut start = 0;
        self.ends
            .into_iter()
            .map(|end| {
                let v = ByteArray::from(data.slice(start..end));
                start = end;
                v
            })
            .collect()
    }
}

/// An optional string column: the present values and a definition level per row.
#[derive(Debug, Default)]
struct OptionalStrings {
    values: Strings,
    levels: Vec<i16>,
}

impl OptionalStrings {
    fn push(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.values.push(s);
                self.levels.push(1);
            }
            None => self.levels.push(0),
        }
    }
}

/// One column's buffer, taken out of [`Columns`] in file order.
enum Column {
    Required(Strings),
    Optional(OptionalStrings),
    Int64(Vec<i64>),
    Bool(Vec<bool>),
}

/// Column buffers of some records, in the order of [`SCHEMA`].
#[derive(Debug, Default)]
pub(crate) struct Columns {
    bytes: usize,
    id: Strings,
    index: Strings,
    msg_class: Strings,
    origin_source: Strings,
    origin_vendor: Strings,
    origin_category: Strings,
    timestamp: Vec<i64>,
    timestamp_fallback: Vec<bool>,
    fallback_reason: OptionalStrings,
    tenant: OptionalStrings,
    connector: OptionalStrings,
    bucket: Strings,
    key: Strings,
    etag: OptionalStrings,
    version_id: OptionalStrings,
    event_name: OptionalStrings,
    event_type: OptionalStrings,
    user: OptionalStrings,
    src_ip: OptionalStrings,
    host: OptionalStrings,
    outcome: OptionalStrings,
    event: Strings,
}

impl Columns {
    /// The columns of `records`, in order.
    pub fn from_records(records: &[&Record]) -> Self {
        let mut c = Columns::default();
        let event_bytes: usize = records.iter().map(|r| r.event.get().len()).sum();
        c.event.data.reserve(event_bytes);
        for r in records {
            let info = &*r.source;
            let ctx = &*r.context;
            let f = &r.fields;
            c.id.push_with(|out| {
                out.extend_from_slice(ctx.id_prefix.as_bytes());
                out.push(b'-');
                out.extend_from_slice(r.ordinal.to_string().as_bytes());
            });
            c.index.push(&info.index);
            c.msg_class.push(&info.msg_class);
            c.origin_source.push(&info.origin_source);
            c.origin_vendor.push(&info.vendor);
            c.origin_category.push(&info.category);
            c.timestamp.push(r.timestamp_ms);
            c.timestamp_fallback
                .push(f.fallback_reason.is_some() || f.timestamp_ms.is_none());
            c.fallback_reason.push(f.fallback_reason.as_deref());
            c.tenant.push(ctx.tenant.as_deref());
            c.connector.push(ctx.connector.as_deref());
            c.bucket.push(&ctx.object.bucket);
            c.key.push(&ctx.object.key);
            c.etag.push(ctx.object.etag.as_deref());
            c.version_id.push(ctx.object.version_id.as_deref());
            c.event_name.push(f.event_name.as_deref());
            c.event_type.push(f.event_type.as_deref());
            c.user.push(f.user.as_deref());
            c.src_ip.push(f.src_ip.as_deref());
            c.host.push(f.host.as_deref());
            c.outcome.push(f.outcome.map(|o| match o {
                Outcome::Success => "success",
                Outcome::Failure => "failure",
            }));
            c.event
                .push_with(|out| write_single_line(out, r.event.get()));
        }
        let strings = [
            &c.id,
            &c.index,
            &c.msg_class,
            &c.origin_source,
            &c.origin_vendor,
            &c.origin_category,
            &c.bucket,
            &c.key,
            &c.event,
        ];
        let optional = [
            &c.fallback_reason,
            &c.tenant,
            &c.connector,
            &c.etag,
            &c.version_id,
            &c.event_name,
            &c.event_type,
            &c.user,
            &c.src_ip,
            &c.host,
            &c.outcome,
        ];
        c.bytes = strings.iter().map(|s| s.data.len()).sum::<usize>()
            + optional.iter().map(|s| s.values.data.len()).sum::<usize>()
            + records.len() * 9;
        c
    }

    /// Bytes of record data held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The buffers in file order, emptying `self`.
    fn take_columns(&mut self) -> Vec<Column> {
        use std::mem::take;
        use Column::{Bool, Int64, Optional, Required};
        vec![
            Required(take(&mut self.id)),
            Required(take(&mut self.index)),
            Required(take(&mut self.msg_class)),
            Required(take(&mut self.origin_source)),
            Required(take(&mut self.origin_vendor)),
            Required(take(&mut self.origin_category)),
            Int64(take(&mut self.timestamp)),
            Bool(take(&mut self.timestamp_fallback)),
            Optional(take(&mut self.fallback_reason)),
            Optional(take(&mut self.tenant)),
            Optional(take(&mut self.connector)),
            Required(take(&mut self.bucket)),
            Required(take(&mut self.key)),
            Optional(take(&mut self.etag)),
            Optional(take(&mut self.version_id)),
            Optional(take(&mut self.event_name)),
            Optional(take(&mut self.event_type)),
            Optional(take(&mut self.user)),
            Optional(take(&mut self.src_ip)),
            Optional(take(&mut self.host)),
            Optional(take(&mut self.outcome)),
            Required(take(&mut self.event)),
        ]
    }
}

fn properties() -> WriterProperties {
    let event = ColumnPath::from("event");
    let id = ColumnPath::from("id");
    WriterProperties::builder()
        .set_created_by(concat!("s3conn ", env!("CARGO_PKG_VERSION")).to_owned())
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        // Unique per row: a dictionary would only cost time before falling back.
        .set_column_dictionary_enabled(event.clone(), false)
        .set_column_dictionary_enabled(id, false)
        // Min/max of whole events help no query.
        .set_column_statistics_enabled(event, EnabledStatistics::None)
        .build()
}

/// A Parquet file of one row group holding every chunk's rows, in order.
pub(crate) fn write_file(chunks: impl Iterator<Item = Columns>) -> Result<Vec<u8>, EncodeError> {
    let err = |e: parquet::errors::ParquetError| EncodeError(format!("parquet: {e}"));
    let schema = Arc::new(parse_message_type(SCHEMA).map_err(err)?);
    let mut chunks: Vec<Vec<Column>> = chunks.map(|mut c| c.take_columns()).collect();
    let mut writer =
        SerializedFileWriter::new(Vec::new(), schema, Arc::new(properties())).map_err(err)?;
    let mut group = writer.next_row_group().map_err(err)?;
    let mut index = 0;
    while let Some(mut column) = group.next_column().map_err(err)? {
        for chunk in &mut chunks {
            let Some(buffer) = chunk.get_mut(index) else {
                return Err(EncodeError("schema and buffers disagree".into()));
            };
            // Taken, so each buffer is freed once written.
            let buffer = std::mem::replace(buffer, Column::Bool(Vec::new()));
            write_column(&mut column, buffer).map_err(err)?;
        }
        column.close().map_err(err)?;
        index += 1;
    }
    group.close().map_err(err)?;
    writer.into_inner().map_err(err)
}

fn write_column(
    column: &mut SerializedColumnWriter<'_>,
    buffer: Column,
) -> parquet::errors::Result<()> {
    match buffer {
        Column::Required(s) => {
            column
                .typed::<ByteArrayType>()
                .write_batch(&s.into_values(), None, None)?;
        }
        Column::Optional(s) => {
            column.typed::<ByteArrayType>().write_batch(
                &s.values.into_values(),
                Some(&s.levels),
                None,
            )?;
        }
        Column::Int64(v) => {
            column.typed::<Int64Type>().write_batch(&v, None, None)?;
        }
        Column::Bool(v) => {
            column.typed::<BoolType>().write_batch(&v, None, None)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    use s3conn_core::testing::sample_records;

    #[test]
    fn rows_hold_the_envelope_and_the_event() {
        let records = sample_records("pq", 7);
        let refs: Vec<&Record> = records.iter().collect();
        let chunks = vec![
            Columns::from_records(&refs[..3]),
            Columns::from_records(&refs[3..]),
        ];
        let body = write_file(chunks.into_iter()).expect("write parquet");
        let reader = SerializedFileReader::new(Bytes::from(body)).expect("read parquet");
        assert_eq!(reader.metadata().file_metadata().num_rows(), 7);
        let rows: Vec<_> = reader
            .get_row_iter(None)
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        for (row, record) in rows.iter().zip(&records) {
            let fields: std::collections::HashMap<&str, &Field> = row
                .get_column_iter()
                .map(|(k, v)| (k.as_str(), v))
                .collect();
            assert_eq!(fields["id"], &Field::Str(record.id()));
            assert_eq!(
                fields["timestamp"],
                &Field::TimestampMillis(record.timestamp_ms)
            );
            let Field::Str(event) = fields["event"] else {
                panic!("event is a string: {:?}", fields["event"]);
            };
            let parsed: serde_json::Value = serde_json::from_str(event).expect("event is JSON");
            assert_eq!(parsed, record.event_value());
            assert!(!event.contains('\n'), "one line: {event}");
        }
        // Record 0 has no common fields, record 1 has them all.
        let first: Vec<_> = rows[0].get_column_iter().collect();
        assert!(first
            .iter()
            .any(|(k, v)| k.as_str() == "event_name" && **v == Field::Null));
        let second: Vec<_> = rows[1].get_column_iter().collect();
        assert!(second
            .iter()
            .any(|(k, v)| k.as_str() == "outcome" && **v == Field::Str("success".into())));
    }
}
