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
        let o = event.detail.object;
        push_object(
            &mut n,
            event.detail.bucket.name,
            o.key,
            o.size,
            o.etag,
            o.version_id,
        );
        tag_region(&mut n, 0, event.region.as_deref());
        return Ok(n);
    }
    // Security Lake notifies its subscribers of new objects only, so no event type is given.
    if map.get("source").and_then(Value::as_str) == Some("aws.s3") && map.contains_key("detail") {
        let event: SecurityLake =
            serde_json::from_value(value).map_err(|e| malformed("Security Lake", e))?;
        n.shape = Shape::SecurityLake;
        let o = event.detail.object;
        push_object(
            &mut n,
            event.detail.bucket.name,
            o.key,
            o.size,
            o.etag,
            o.version_id,
        );
        tag_region(&mut n, 0, event.region.as_deref());
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
mod tests {
    use super::*;

    fn keys(n: &Notification) -> Vec<(&str, &str)> {
        n.objects
            .iter()
            .map(|o| (o.bucket.as_str(), o.key.as_str()))
            .collect()
    }

    #[test]
    fn s3_event_with_several_records_and_encoded_keys() {
        let body = r#"{"Records":[
          {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2024-01-01T00:00:00.000Z",
           "s3":{"bucket":{"name":"b1"},"object":{"key":"logs/a+b%2Bc%C3%A9.gz","size":10,"eTag":"\"e1\"","versionId":"v1"}}},
          {"eventSource":"aws:s3","eventName":"ObjectCreated:CompleteMultipartUpload","eventTime":"2024-01-01T00:00:00",
           "s3":{"bucket":{"name":"b1"},"object":{"key":"logs%2F2024%2Fx.json","size":5}}},
          {"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b1"},"object":{"key":"gone"}}},
          {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b1"},"object":{"key":"dir/","size":0}}},
          {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b1"},"object":{"key":"empty.json","size":0}}}
        ]}"#;
        let n = parse(body).unwrap();
        assert_eq!(
            keys(&n),
            vec![("b1", "logs/a b+cé.gz"), ("b1", "logs/2024/x.json")]
        );
        assert_eq!(n.objects[0].etag.as_deref(), Some("e1"));
        assert_eq!(n.objects[0].version_id.as_deref(), Some("v1"));
        assert_eq!(
            n.ignored,
            vec![
                (Ignored::NotObjectCreated, "ObjectRemoved:Delete".to_owned()),
                (Ignored::DirectoryMarker, "dir/".to_owned()),
                (Ignored::EmptyObject, "empty.json".to_owned()),
            ]
        );
    }

    #[test]
    fn test_event() {
        let n = parse(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-01-01T00:00:00.000Z","Bucket":"b"}"#).unwrap();
        assert_eq!(n.shape, Shape::TestEvent);
        assert!(n.objects.is_empty());
        assert_eq!(n.ignored[0].0, Ignored::TestEvent);
    }

    #[test]
    fn sns_wrapped() {
        let inner = r#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k%20x","size":3}}}]}"#;
        let body = serde_json::json!({"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:x","Message":inner}).to_string();
        let n = parse(&body).unwrap();
        assert_eq!(keys(&n), vec![("b", "k x")]);
        let test =
            serde_json::json!({"Type":"Notification","Message":"{\"Event\":\"s3:TestEvent\"}"})
                .to_string();
        assert_eq!(parse(&test).unwrap().shape, Shape::TestEvent);
    }

    #[test]
    fn eventbridge() {
        let body = r#"{"version":"0","id":"x","detail-type":"Object Created","source":"aws.s3","time":"2021-11-12T00:00:00Z",
          "detail":{"version":"0","bucket":{"name":"b"},"object":{"key":"raw/2023-08-08T14:03:40.zip","size":19,"etag":"e","version-id":"v"}}}"#;
        let n = parse(body).unwrap();
        assert_eq!(n.shape, Shape::EventBridge);
        assert_eq!(keys(&n), vec![("b", "raw/2023-08-08T14:03:40.zip")]);
        assert_eq!(n.objects[0].version_id.as_deref(), Some("v"));
        let deleted = body.replace("Object Created", "Object Deleted");
        let n = parse(&deleted).unwrap();
        assert!(n.objects.is_empty());
        assert_eq!(n.ignored[0].0, Ignored::NotObjectCreated);
    }

    #[test]
    fn security_lake_subscriber_notification() {
        // The shape Security Lake sends its subscribers (no `detail-type`, `id` or `version`).
        let body = r#"{"source":"aws.s3","time":"2024-03-01T10:00:00Z","account":"123456789012","region":"us-east-1",
          "resources":["arn:aws:s3:::aws-security-data-lake-us-east-1-x"],
          "detail":{"bucket":{"name":"aws-security-data-lake-us-east-1-x"},
            "object":{"key":"ext/vpc/region=us-east-1/accountId=1/eventDay=20240301/a.gz.parquet","size":1234,"etag":"\"e9\""},
            "request-id":"R","requester":"securitylake.amazonaws.com"}}"#;
        let n = parse(body).unwrap();
        assert_eq!(n.shape, Shape::SecurityLake);
        assert_eq!(
            keys(&n),
            vec![(
                "aws-security-data-lake-us-east-1-x",
                "ext/vpc/region=us-east-1/accountId=1/eventDay=20240301/a.gz.parquet"
            )]
        );
        assert_eq!(n.objects[0].size, Some(1234));
        assert_eq!(n.objects[0].etag.as_deref(), Some("e9"));
        assert_eq!(n.objects[0].region.as_deref(), Some("us-east-1"));
        assert!(n.ignored.is_empty());
        // Without size and eTag it still names the object.
        let bare =
            r#"{"source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k.json"}}}"#;
        let n = parse(bare).unwrap();
        assert_eq!(keys(&n), vec![("b", "k.json")]);
        assert_eq!(n.objects[0].size, None);
        // A detail without an object is malformed, and says which shape it looked like.
        let err = parse(r#"{"source":"aws.s3","detail":{"bucket":{"name":"b"}}}"#).unwrap_err();
        assert!(err.to_string().contains("Security Lake"), "{err}");
        // Another service's event is not this shape.
        assert!(matches!(
            parse(r#"{"source":"aws.ec2","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}}"#),
            Err(NotificationError::UnknownShape(_))
        ));
    }

    #[test]
    fn security_lake_body_published_by_data_prepper() {
        // A real subscriber body (OpenSearch Data Prepper's test fixture, see ORIGIN.md there).
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/peers/opensearch_data_prepper/sqs_bodies/dp_security_lake_message.json"
        );
        let Ok(body) = std::fs::read_to_string(path) else {
            panic!("shared fixture missing: {path}");
        };
        let n = parse(&body).unwrap();
        assert_eq!(n.shape, Shape::SecurityLake);
        assert_eq!(keys(&n), vec![("example-bucket", "example-key")]);
        assert_eq!(n.objects[0].size, Some(5));
        assert_eq!(
            n.objects[0].etag.as_deref(),
            Some("b57f9512698f4b09e608f4f2a65852e5")
        );
    }

    #[test]
    fn the_bucket_region_is_carried_from_the_notification() {
        let body = r#"{"Records":[
          {"eventSource":"aws:s3","awsRegion":"eu-west-1","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b1"},"object":{"key":"a","size":1}}},
          {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b2"},"object":{"key":"b","size":1}}}]}"#;
        let n = parse(body).unwrap();
        assert_eq!(n.objects[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(n.objects[1].region, None);
        let eb = r#"{"detail-type":"Object Created","source":"aws.s3","region":"ap-south-1",
          "detail":{"bucket":{"name":"b"},"object":{"key":"k","size":1}}}"#;
        assert_eq!(
            parse(eb).unwrap().objects[0].region.as_deref(),
            Some("ap-south-1")
        );
    }

    #[test]
    fn cloudtrail_notice_and_fdr() {
        let n = parse(r#"{"s3Bucket":"trail","s3ObjectKey":["AWSLogs/1/CloudTrail/us-east-1/2024/01/01/a.json.gz","b.json.gz"]}"#).unwrap();
        assert_eq!(n.shape, Shape::CloudTrailNotice);
        assert_eq!(keys(&n).len(), 2);
        let fdr = r#"{"cid":"c","timestamp":1,"fileCount":2,"totalSize":30,"bucket":"cs-bucket","pathPrefix":"data/x",
          "files":[{"path":"data/x/part-00000.gz","size":10,"checksum":"a"},{"path":"data/x/part-00001.gz","size":20}]}"#;
        let n = parse(fdr).unwrap();
        assert_eq!(n.shape, Shape::FalconDataReplicator);
        assert_eq!(
            keys(&n),
            vec![
                ("cs-bucket", "data/x/part-00000.gz"),
                ("cs-bucket", "data/x/part-00001.gz")
            ]
        );
    }

    #[test]
    fn poison_bodies_are_errors() {
        assert!(matches!(
            parse("not json"),
            Err(NotificationError::InvalidJson(_))
        ));
        assert!(matches!(
            parse("[1,2]"),
            Err(NotificationError::UnknownShape(_))
        ));
        assert!(matches!(
            parse(r#"{"hello":"world"}"#),
            Err(NotificationError::UnknownShape(_))
        ));
        assert!(matches!(
            parse(r#"{"Records":"nope"}"#),
            Err(NotificationError::Malformed { .. })
        ));
        assert!(matches!(
            parse(r#"{"Records":[{"eventName":"ObjectCreated:Put"}]}"#),
            Err(NotificationError::Malformed { .. })
        ));
        assert!(matches!(
            parse(
                r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"%FF"}}}]}"#
            ),
            Err(NotificationError::Malformed { .. })
        ));
    }

    #[test]
    fn built_bodies_round_trip() {
        for key in ["plain.json", "with space/and+plus/ünï.gz", "a%b"] {
            let n = parse(&s3_event_body("bk", key, 9, Some("et"))).unwrap();
            assert_eq!(keys(&n), vec![("bk", key)]);
        }
    }
}
