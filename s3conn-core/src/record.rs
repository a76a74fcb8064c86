//! The normalized record every source produces, with the envelope a SIEM data lake expects: the
//! source's description ([`SourceInfo`]), the object's ([`ObjectContext`]) and the common fields.

use std::sync::Arc;

/// The text of [`Normalized`]'s common fields: up to 24 bytes inline (an action name, an
/// address, a host name: no allocation), longer text on the heap; it derefs to `str`.
pub use compact_str::CompactString;
use serde::ser::Serializer;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::json::{write_i64, write_single_line, write_str, write_u64, RawJson};
use crate::store::ObjectRef;

/// The fixed description of a log source: its id and the envelope of its records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceInfo {
    /// Registry id, e.g. `aws-cloudtrail`.
    pub id: String,
    /// Name shown to people, e.g. `AWS CloudTrail (JSON)`.
    pub display_name: String,
    /// The data-lake index: `Syslog` or `AWS Events`.
    pub index: String,
    /// The record's `msg_class`.
    pub msg_class: String,
    /// `msg_origin.source` (`s3`).
    pub origin_source: String,
    /// `msg_origin.vendor`.
    pub vendor: String,
    /// `msg_origin.category` (`paas`).
    pub category: String,
}

impl SourceInfo {
    /// A source description with `msg_origin.source = "s3"` and `category = "paas"`.
    pub fn new(id: &str, display_name: &str, index: &str, msg_class: &str, vendor: &str) -> Self {
        SourceInfo {
            id: id.to_owned(),
            display_name: display_name.to_owned(),
            index: index.to_owned(),
            msg_class: msg_class.to_owned(),
            origin_source: "s3".to_owned(),
            vendor: vendor.to_owned(),
            category: "paas".to_owned(),
        }
    }
}

/// Where a record's object came from and who collects it: shared by every record of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectContext {
    /// The object, with the eTag and version actually read.
    pub object: ObjectRef,
    /// Tenant from the configuration, if any.
    pub tenant: Option<Arc<str>>,
    /// Connector name from the configuration, if any.
    pub connector: Option<Arc<str>>,
    /// Last-modified time of the object (epoch ms), the fallback timestamp.
    pub last_modified_ms: Option<i64>,
    /// Stable hash of bucket, key and version/eTag: the prefix of every record id.
    pub id_prefix: String,
}

impl ObjectContext {
    /// Builds the context of one object version.
    pub fn new(
        object: ObjectRef,
        tenant: Option<Arc<str>>,
        connector: Option<Arc<str>>,
        last_modified_ms: Option<i64>,
    ) -> Self {
        let id_prefix = object_id_prefix(&object);
        ObjectContext {
            object,
            tenant,
            connector,
            last_modified_ms,
            id_prefix,
        }
    }

    /// The idempotency id of the record at `ordinal` in this object.
    pub fn record_id(&self, ordinal: u64) -> String {
        format!("{}-{ordinal}", self.id_prefix)
    }
}

/// 128-bit FNV-1a over bucket, key and (version id or eTag): stable across runs, platforms and releases.
fn object_id_prefix(object: &ObjectRef) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut hash = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u128::from(b);
            hash = hash.wrapping_mul(PRIME);
        }
        hash ^= 0xff;
        hash = hash.wrapping_mul(PRIME);
    };
    feed(object.bucket.as_bytes());
    feed(object.key.as_bytes());
    feed(
        object
            .version_id
            .as_deref()
            .or(object.etag.as_deref())
            .unwrap_or("")
            .as_bytes(),
    );
    format!("{hash:032x}")
}

/// Outcome of the action an event describes, when the source knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The action succeeded.
    Success,
    /// The action failed or was denied.
    Failure,
}

/// What a source extracts from one event. Its text fields are [`CompactString`]s: build them
/// with `.into()` from a `&str` or a `String`, read them with `as_deref()`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Normalized {
    /// The event's own time, epoch milliseconds UTC.
    pub timestamp_ms: Option<i64>,
    /// Why no time could be taken from the event (set by the source when `timestamp_ms` is `None`).
    pub fallback_reason: Option<CompactString>,
    /// Name of the action (CloudTrail `eventName`, Teleport `event`, …).
    pub event_name: Option<CompactString>,
    /// Family of the event (FDR inventory kind, Proofpoint list name, …).
    pub event_type: Option<CompactString>,
    /// Who acted.
    pub user: Option<CompactString>,
    /// Source IP address of the actor.
    pub src_ip: Option<CompactString>,
    /// Host the event is about.
    pub host: Option<CompactString>,
    /// Success or failure.
    pub outcome: Option<Outcome>,
}

/// One normalized record: envelope, common fields and the original event.
#[derive(Debug, Clone)]
pub struct Record {
    /// The source that produced it (index, msg_class, msg_origin).
    pub source: Arc<SourceInfo>,
    /// The object it came from.
    pub context: Arc<ObjectContext>,
    /// Position of the record in its object, from 0.
    pub ordinal: u64,
    /// Epoch milliseconds UTC: the event's time, or the object's last-modified time.
    pub timestamp_ms: i64,
    /// Common fields extracted by the source; `fallback_reason` set means the timestamp is a fallback.
    pub fields: Normalized,
    /// The original event, byte for byte.
    pub event: RawJson,
}

impl Record {
    /// The idempotency id: stable across redeliveries of the same object version.
    pub fn id(&self) -> String {
        self.context.record_id(self.ordinal)
    }

    /// Whether the timestamp is the object's time rather than the event's.
    pub fn timestamp_fallback(&self) -> bool {
        self.fields.timestamp_ms.is_none()
    }

    /// Serializes the record as one line of JSON (no newline).
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(self.event.get().len() + 512);
        self.write_json(&mut out);
        // Only strings (escaped), numbers and valid JSON text were written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends the record as JSON plus `\n` to `out`.
    pub fn write_ndjson(&self, out: &mut Vec<u8>) {
        self.write_json(out);
        out.push(b'\n');
    }

    /// Appends the record as one line of JSON: the envelope, the common fields, then the original
    /// event written through as its bytes (made single-line if it was pretty-printed).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let info = &*self.source;
        let ctx = &*self.context;
        let f = &self.fields;
        let key = |out: &mut Vec<u8>, name: &str| {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
        };
        out.extend_from_slice(b"{\"index\":");
        write_str(out, &info.index);
        key(out, "msg_class");
        write_str(out, &info.msg_class);
        out.extend_from_slice(b",\"msg_origin\":{\"source\":");
        write_str(out, &info.origin_source);
        key(out, "vendor");
        write_str(out, &info.vendor);
        key(out, "category");
        write_str(out, &info.category);
        out.push(b'}');
        key(out, "timestamp");
        write_i64(out, self.timestamp_ms);
        if let Some(reason) = &f.fallback_reason {
            key(out, "timestamp_fallback");
            out.extend_from_slice(b"true");
            key(out, "fallback_reason");
            write_str(out, reason);
        } else if f.timestamp_ms.is_none() {
            key(out, "timestamp_fallback");
            out.extend_from_slice(b"true");
        }
        if let Some(t) = &ctx.tenant {
            key(out, "tenant");
            write_str(out, t);
        }
        if let Some(c) = &ctx.connector {
            key(out, "connector");
            write_str(out, c);
        }
        out.extend_from_slice(b",\"s3\":{\"bucket\":");
        write_str(out, &ctx.object.bucket);
        key(out, "key");
        write_str(out, &ctx.object.key);
        if let Some(etag) = &ctx.object.etag {
            key(out, "etag");
            write_str(out, etag);
        }
        if let Some(version) = &ctx.object.version_id {
            key(out, "version_id");
            write_str(out, version);
        }
        out.push(b'}');
        // The id: `"<object prefix>-<ordinal>"` (the prefix is hex).
        key(out, "id");
        out.push(b'"');
        out.extend_from_slice(ctx.id_prefix.as_bytes());
        out.push(b'-');
        write_u64(out, self.ordinal);
        out.push(b'"');
        let optional = [
            ("event_name", &f.event_name),
            ("event_type", &f.event_type),
            ("user", &f.user),
            ("src_ip", &f.src_ip),
            ("host", &f.host),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                key(out, name);
                write_str(out, v);
            }
        }
        if let Some(o) = &f.outcome {
            key(out, "outcome");
            out.extend_from_slice(match o {
                Outcome::Success => b"\"success\"",
                Outcome::Failure => b"\"failure\"",
            });
        }
        key(out, "event");
        write_single_line(out, self.event.get());
        out.push(b'}');
    }

    /// The whole original event, parsed (`Null` if it cannot be; for filters and tests).
    pub fn event_value(&self) -> serde_json::Value {
        serde_json::from_str(self.event.get()).unwrap_or(serde_json::Value::Null)
    }

    /// A field of the original event by JSON pointer (`/userIdentity/type`), parsed; `None` when
    /// the event has no such field.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use s3conn_core::json::RawJson;
    /// # use s3conn_core::{Normalized, ObjectContext, ObjectRef, Record, SourceInfo};
    /// let record = Record {
    ///     source: Arc::new(SourceInfo::new("demo", "Demo", "Syslog", "demo", "demo")),
    ///     context: Arc::new(ObjectContext::new(ObjectRef::new("bucket", "key"), None, None, None)),
    ///     ordinal: 0,
    ///     timestamp_ms: 0,
    ///     fields: Normalized::default(),
    ///     event: RawJson::new(r#"{"userIdentity":{"type":"IAMUser"}}"#)?,
    /// };
    /// assert_eq!(record.event_field("/userIdentity/type"), Some(serde_json::json!("IAMUser")));
    /// assert_eq!(record.event_field("/userIdentity/arn"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn event_field(&self, pointer: &str) -> Option<serde_json::Value> {
        self.event_value()
            .pointer_mut(pointer)
            .map(serde_json::Value::take)
    }
}

impl Serialize for Record {
    /// The same JSON as [`Record::write_json`], for any `serde` serializer.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.to_json()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}
