//! The normalized record every source produces, with the envelope a SIEM data lake expects.

use std::sync::Arc;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::source::SourceInfo;
use crate::store::ObjectRef;

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

/// What a source extracts from one event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Normalized {
    /// The event's own time, epoch milliseconds UTC.
    pub timestamp_ms: Option<i64>,
    /// Why no time could be taken from the event (set by the source when `timestamp_ms` is `None`).
    pub fallback_reason: Option<String>,
    /// Name of the action (CloudTrail `eventName`, Teleport `event`, …).
    pub event_name: Option<String>,
    /// Family of the event (FDR inventory kind, Proofpoint list name, …).
    pub event_type: Option<String>,
    /// Who acted.
    pub user: Option<String>,
    /// Source IP address of the actor.
    pub src_ip: Option<String>,
    /// Host the event is about.
    pub host: Option<String>,
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
    pub event: Box<RawValue>,
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
        // Serializing a Record only writes strings, numbers and already-valid raw JSON.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Appends the record as JSON plus `\n` to `out`.
    pub fn write_ndjson(&self, out: &mut Vec<u8>) {
        if serde_json::to_writer(&mut *out, self).is_ok() {
            out.push(b'\n');
        }
    }

    /// A field of the original event by JSON pointer (parses the event; for filters and tests).
    pub fn event_value(&self) -> serde_json::Value {
        serde_json::from_str(self.event.get()).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Serialize)]
struct MsgOrigin<'a> {
    source: &'a str,
    vendor: &'a str,
    category: &'a str,
}

#[derive(Serialize)]
struct S3Fields<'a> {
    bucket: &'a str,
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_id: Option<&'a str>,
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let info = &*self.source;
        let ctx = &*self.context;
        let f = &self.fields;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("index", &*info.index)?;
        map.serialize_entry("msg_class", &*info.msg_class)?;
        map.serialize_entry(
            "msg_origin",
            &MsgOrigin {
                source: &info.origin_source,
                vendor: &info.vendor,
                category: &info.category,
            },
        )?;
        map.serialize_entry("timestamp", &self.timestamp_ms)?;
        if let Some(reason) = &f.fallback_reason {
            map.serialize_entry("timestamp_fallback", &true)?;
            map.serialize_entry("fallback_reason", reason)?;
        } else if f.timestamp_ms.is_none() {
            map.serialize_entry("timestamp_fallback", &true)?;
        }
        if let Some(t) = &ctx.tenant {
            map.serialize_entry("tenant", &**t)?;
        }
        if let Some(c) = &ctx.connector {
            map.serialize_entry("connector", &**c)?;
        }
        map.serialize_entry(
            "s3",
            &S3Fields {
                bucket: &ctx.object.bucket,
                key: &ctx.object.key,
                etag: ctx.object.etag.as_deref(),
                version_id: ctx.object.version_id.as_deref(),
            },
        )?;
        map.serialize_entry("id", &self.id())?;
        let optional = [
            ("event_name", &f.event_name),
            ("event_type", &f.event_type),
            ("user", &f.user),
            ("src_ip", &f.src_ip),
            ("host", &f.host),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                map.serialize_entry(name, v)?;
            }
        }
        if let Some(o) = &f.outcome {
            map.serialize_entry("outcome", o)?;
        }
        if memchr::memchr2(b'\n', b'\r', self.event.get().as_bytes()).is_some() {
            map.serialize_entry("event", &single_line(&self.event))?;
        } else {
            map.serialize_entry("event", &self.event)?;
        }
        map.end()
    }
}

/// The event as one line: pretty-printed events lose their insignificant whitespace (values are
/// untouched), so every record stays one NDJSON line.
pub fn single_line(raw: &RawValue) -> Box<RawValue> {
    let text = raw.get();
    if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_none() {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    RawValue::from_string(out).unwrap_or_else(|_| raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_events_become_one_line_with_values_untouched() {
        let raw: &RawValue =
            serde_json::from_str("{\n  \"a b\": \"x \\\" y\",\r\n  \"c\": [1, 2]\n}").unwrap();
        assert_eq!(single_line(raw).get(), "{\"a b\":\"x \\\" y\",\"c\":[1,2]}");
        let compact: &RawValue = serde_json::from_str("{\"a\": 1}").unwrap();
        assert_eq!(single_line(compact).get(), "{\"a\": 1}");
    }
}
