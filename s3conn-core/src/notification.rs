//! Notification parsing: every shape real queues deliver, detected without configuration.
//!
//! S3 event notifications (all `Records`), the same wrapped in SNS, EventBridge "Object Created",
//! Amazon Security Lake subscriber notifications (EventBridge-like, without `detail-type`),
//! CloudTrail's SNS file notices, CrowdStrike Falcon Data Replicator notices, and `s3:TestEvent`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Classify, ErrorClass};
use crate::store::ObjectRef;

/// Why a notification (or one of its records) names nothing to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ignored {
    /// The `s3:TestEvent` S3 sends when a notification is configured.
    TestEvent,
    /// An event other than an object creation (delete, restore, …).
    NotObjectCreated,
    /// A key ending in `/` (a folder marker).
    DirectoryMarker,
    /// An object of size zero.
    EmptyObject,
}

/// What one queue message asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notification {
    /// The objects to fetch, in order.
    pub objects: Vec<ObjectRef>,
    /// What was ignored, with the key (or event name) it concerned.
    pub ignored: Vec<(Ignored, String)>,
    /// The shape the message had.
    pub shape: Shape,
}

/// The recognised shape of a notification.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// S3 event notification (`Records` with `s3`).
    #[default]
    S3Event,
    /// `s3:TestEvent`.
    TestEvent,
    /// EventBridge `aws.s3` event.
    EventBridge,
    /// Amazon Security Lake subscriber notification: `source: "aws.s3"` and a `detail` naming the
    /// bucket and object, but no `detail-type` (every one announces a new object).
    SecurityLake,
    /// CloudTrail's SNS log-file notice.
    CloudTrailNotice,
    /// CrowdStrike Falcon Data Replicator notice.
    FalconDataReplicator,
}

/// A message body that is not a notification we understand (a poison message).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotificationError {
    /// The body is not JSON.
    #[error("notification is not valid JSON: {0}")]
    InvalidJson(String),
    /// JSON, but none of the known notification shapes.
    #[error("unrecognised notification shape (top-level fields: {0})")]
    UnknownShape(String),
    /// A known shape with a required field missing or mistyped.
    #[error("malformed {shape} notification: {detail}")]
    Malformed {
        /// Which shape it looked like.
        shape: &'static str,
        /// What is wrong.
        detail: String,
    },
}

impl Classify for NotificationError {
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }
}

#[derive(Deserialize)]
struct S3Event {
    #[serde(rename = "Records")]
    records: Vec<S3Record>,
}

#[derive(Deserialize)]
struct S3Record {
    #[serde(rename = "eventName", default)]
    event_name: String,
    #[serde(rename = "eventSource", default)]
    event_source: Option<String>,
    #[serde(rename = "awsRegion", default)]
    aws_region: Option<String>,
    s3: Option<S3Entity>,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: Named,
    object: S3Object,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct S3Object {
    key: String,
    size: Option<u64>,
    #[serde(rename = "eTag", alias = "etag")]
    etag: Option<String>,
    #[serde(rename = "versionId", alias = "version-id")]
    version_id: Option<String>,
}

#[derive(Deserialize)]
struct EventBridge {
    #[serde(rename = "detail-type")]
    detail_type: String,
    #[serde(default)]
    region: Option<String>,
    detail: EventBridgeDetail,
}

/// A Security Lake subscriber notification: an EventBridge body without `detail-type`.
#[derive(Deserialize)]
struct SecurityLake {
    #[serde(default)]
    region: Option<String>,
    detail: EventBridgeDetail,
}

#[derive(Deserialize)]
struct EventBridgeDetail {
    bucket: Named,
    object: S3Object,
}

/// Adds the object an EventBridge-shaped `detail` names, in `region`.
fn push_detail(n: &mut Notification, detail: EventBridgeDetail, region: Option<&str>) {
    let o = detail.object;
    push_object(n, detail.bucket.name, o.key, o.size, o.etag, o.version_id);
    tag_region(n, 0, region);
}

#[derive(Deserialize)]
struct CloudTrailNotice {
    #[serde(rename = "s3Bucket")]
    bucket: String,
    #[serde(rename = "s3ObjectKey")]
    keys: Vec<String>,
}

#[derive(Deserialize)]
struct FdrNotice {
    bucket: String,
    #[serde(rename = "pathPrefix", default)]
    _path_prefix: Option<String>,
    files: Vec<FdrFile>,
}

#[derive(Deserialize)]
struct FdrFile {
    path: String,
    size: Option<u64>,
}

/// Decodes an S3 notification key: `+` is a space, `%XX` a byte (so `%2B` is a plus).
pub fn decode_key(key: &str) -> Result<String, NotificationError> {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|e| NotificationError::Malformed {
            shape: "S3 event",
            detail: format!("object key '{key}' is not UTF-8 once decoded: {e}"),
        })
}

fn clean_etag(etag: Option<String>) -> Option<String> {
    etag.map(|e| e.trim_matches('"').to_owned())
        .filter(|e| !e.is_empty())
}

fn push_object(
    n: &mut Notification,
    bucket: String,
    key: String,
    size: Option<u64>,
    etag: Option<String>,
    version_id: Option<String>,
) {
    if key.ends_with('/') {
        n.ignored.push((Ignored::DirectoryMarker, key));
    } else if size == Some(0) {
        n.ignored.push((Ignored::EmptyObject, key));
    } else {
        n.objects.push(ObjectRef {
            bucket,
            key,
            version_id: version_id.filter(|v| !v.is_empty() && v != "null"),
            etag: clean_etag(etag),
            size,
            region: None,
        });
    }
}

/// Sets the bucket region a notification names on the objects pushed since `from`.
fn tag_region(n: &mut Notification, from: usize, region: Option<&str>) {
    let Some(region) = region.map(str::trim).filter(|r| !r.is_empty()) else {
        return;
    };
    for o in n.objects.iter_mut().skip(from) {
        o.region = Some(region.to_owned());
    }
}

fn malformed(shape: &'static str, e: serde_json::Error) -> NotificationError {
    NotificationError::Malformed {
        shape,
        detail: e.to_string(),
    }
}

/// Parses one queue message body into the objects it names.
///
/// ```
/// let body = r#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put",
///   "s3":{"bucket":{"name":"logs"},"object":{"key":"a/b+c%2Bd.json.gz","size":42,"eTag":"abc"}}}]}"#;
/// let n = s3conn_core::notification::parse(body).unwrap();
/// assert_eq!(n.objects[0].key, "a/b c+d.json.gz");
/// ```
pub fn parse(body: &str) -> Result<Notification, NotificationError> {
    let value: Value = serde_json::from_str(body.trim())
        .map_err(|e| NotificationError::InvalidJson(e.to_string()))?;
    parse_value(value, 0)
}

fn parse_value(value: Value, depth: u8) -> Result<Notification, NotificationError> {
    let Value::Object(map) = &value else {
        return Err(NotificationError::UnknownShape(format!(
            "not an object but {}",
            kind_of(&value)
        )));
    };
    let mut n = Notification::default();
    // SNS envelope: the notification is a JSON string in `Message`.
    if map.get("Type").and_then(Value::as_str) == Some("Notification") && depth == 0 {
        if let Some(Value::String(inner)) = map.get("Message") {
            let inner: Value =
                serde_json::from_str(inner).map_err(|e| NotificationError::Malformed {
                    shape: "SNS",
                    detail: format!("Message is not JSON: {e}"),
                })?;
            return parse_value(inner, depth + 1);
        }
    }
    if map.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        n.shape = Shape::TestEvent;
        n.ignored.push((Ignored::TestEvent, String::new()));
        return Ok(n);
    }
    if map.contains_key("Records") {
        let event: S3Event = serde_json::from_value(value).map_err(|e| malformed("S3 event", e))?;
        n.shape = Shape::S3Event;
        for record in event.records {
            if record
                .event_source
                .as_deref()
                .is_some_and(|s| s != "aws:s3")
            {
                n.ignored
                    .push((Ignored::NotObjectCreated, record.event_name));
                continue;
            }
            if !record.event_name.starts_with("ObjectCreated:") {
                n.ignored
                    .push((Ignored::NotObjectCreated, record.event_name));
                continue;
            }
            let Some(s3) = record.s3 else {
                return Err(NotificationError::Malformed {
                    shape: "S3 event",
                    detail: "ObjectCreated record without an s3 entity".into(),
                });
            };
            let key = decode_key(&s3.object.key)?;
            let from = n.objects.len();
            push_object(
                &mut n,
                s3.bucket.name,
                key,
                s3.object.size,
                s3.object.etag,
                s3.object.version_id,
            );
            tag_region(&mut n, from, record.aws_region.as_deref());
        }
        return Ok(n);
    }
    if map.contains_key("detail-type") && map.contains_key("detail") {
        let event: EventBridge =
            serde_json::from_value(value).map_err(|e| malformed("EventBridge", e))?;
        n.shape = Shape::EventBridge;
        if event.detail_type != "Object Created" {
            n.ignored
                .push((Ignored::NotObjectCreated, event.detail_type));
            return Ok(n);
        }
        push_detail(&mut n, event.detail, event.region.as_deref());
        return Ok(n);
    }
    // Security Lake notifies its subscribers of new objects only, so no event type is given.
    if map.get("source").and_then(Value::as_str) == Some("aws.s3") && map.contains_key("detail") {
        let event: SecurityLake =
            serde_json::from_value(value).map_err(|e| malformed("Security Lake", e))?;
        n.shape = Shape::SecurityLake;
        push_detail(&mut n, event.detail, event.region.as_deref());
        return Ok(n);
    }
    if map.contains_key("s3Bucket") && map.contains_key("s3ObjectKey") {
        let notice: CloudTrailNotice =
            serde_json::from_value(value).map_err(|e| malformed("CloudTrail SNS", e))?;
        n.shape = Shape::CloudTrailNotice;
        for key in notice.keys {
            push_object(&mut n, notice.bucket.clone(), key, None, None, None);
        }
        return Ok(n);
    }
    if map.contains_key("bucket") && map.contains_key("files") {
        let notice: FdrNotice =
            serde_json::from_value(value).map_err(|e| malformed("Falcon Data Replicator", e))?;
        n.shape = Shape::FalconDataReplicator;
        for file in notice.files {
            push_object(
                &mut n,
                notice.bucket.clone(),
                file.path,
                file.size,
                None,
                None,
            );
        }
        return Ok(n);
    }
    let mut keys: Vec<&str> = map.keys().map(String::as_str).take(8).collect();
    keys.sort_unstable();
    Err(NotificationError::UnknownShape(keys.join(", ")))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Builds the S3 event notification body for one object (used by replay and tests).
pub fn s3_event_body(bucket: &str, key: &str, size: u64, etag: Option<&str>) -> String {
    let encoded = encode_key(key);
    serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "s3": {
                "bucket": {"name": bucket},
                "object": {"key": encoded, "size": size, "eTag": etag}
            }
        }]
    })
    .to_string()
}

/// Encodes an object key as S3 event notifications carry it: `%XX` escapes, a space as `+`
/// (the inverse of [`decode_key`]).
pub fn encode_key(key: &str) -> String {
    percent_encoding::utf8_percent_encode(key, KEY_ENCODE)
        .to_string()
        .replace("%20", "+")
}

const KEY_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[cfg(test)]
mod tests;
