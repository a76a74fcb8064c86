//! Unit tests of notification parsing: every shape, encodings and malformed bodies.

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
    let test = serde_json::json!({"Type":"Notification","Message":"{\"Event\":\"s3:TestEvent\"}"})
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
    let bare = r#"{"source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k.json"}}}"#;
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
