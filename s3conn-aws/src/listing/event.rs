//! The S3 event notification of one listed object: what S3 would have sent when it was written.

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use s3conn_core::notification::encode_key;

use super::lister::Listed;

/// An `ObjectCreated:Put` S3 event (`Records[0]`) naming the object: bucket, the key URL-encoded
/// as S3 encodes it (`+` for a space), size, eTag, `eventTime` (its LastModified) and `awsRegion`.
/// The pipeline reads it as any notification, so the record ids are those of live collection.
pub fn event_body(bucket: &str, region: &str, object: &Listed) -> String {
    let time = DateTime::from_millis(object.last_modified_ms.unwrap_or(0))
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned());
    serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": region,
            "eventTime": time,
            "eventName": "ObjectCreated:Put",
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "s3conn-backfill",
                "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
                "object": {"key": encode_key(&object.key), "size": object.size, "eTag": object.etag}
            }
        }]
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_back_into_the_same_object() {
        let l = Listed {
            key: "a b/c+d:é.json.gz".into(),
            size: 42,
            etag: Some("abc-2".into()),
            last_modified_ms: Some(1_700_000_000_123),
            skip: None,
        };
        let body = event_body("bk", "eu-west-1", &l);
        let n = s3conn_core::notification::parse(&body).unwrap();
        assert_eq!(n.objects.len(), 1);
        let o = &n.objects[0];
        assert_eq!((o.bucket.as_str(), o.key.as_str()), ("bk", l.key.as_str()));
        assert_eq!((o.size, o.etag.as_deref()), (Some(42), Some("abc-2")));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["Records"][0]["awsRegion"], "eu-west-1");
        assert!(v["Records"][0]["eventTime"]
            .as_str()
            .unwrap()
            .starts_with("2023-11-14T22:13:20"));
        assert_eq!(
            v["Records"][0]["s3"]["object"]["key"],
            "a+b/c%2Bd%3A%C3%A9.json.gz"
        );
    }
}
