//! Explicit expectations per source on the project's fixtures (the golden files hold the full
//! output; these spell out the rules that matter), plus a robustness sweep: no input panics.

#![cfg(all(
    feature = "cloudtrail",
    feature = "crowdstrike",
    feature = "generic",
    feature = "proofpoint",
    feature = "teleport"
))]

mod common;

use std::sync::Arc;

use common::{builtin, fixtures_dir, run, Output};
use s3conn_core::{Event, LogSource, Normalized, ObjectContext, ObjectRef, Outcome, Record};
use serde_json::value::RawValue;

fn records(id: &str, rel: &str) -> Vec<Record> {
    let root = fixtures_dir().join(id);
    let bytes = std::fs::read(root.join(rel)).expect("fixture");
    match run(&builtin(id), rel, &bytes) {
        Output::Records(r) => r,
        Output::Skipped(reason) => panic!("{rel} skipped: {reason}"),
    }
}

/// One field of each record, `-` where it is absent.
fn column<'r>(
    records: &'r [Record],
    field: impl Fn(&'r Normalized) -> Option<&'r str>,
) -> Vec<&'r str> {
    records
        .iter()
        .map(|r| field(&r.fields).unwrap_or("-"))
        .collect()
}

fn f(r: &Record) -> (&str, &str, &str, Option<Outcome>) {
    (
        r.fields.event_name.as_deref().unwrap_or("-"),
        r.fields.user.as_deref().unwrap_or("-"),
        r.fields.src_ip.as_deref().unwrap_or("-"),
        r.fields.outcome,
    )
}

#[test]
fn cloudtrail_rules() {
    let r = records(
        "aws-cloudtrail",
        "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1200Z_mgmt.json",
    );
    assert_eq!(r.len(), 9);
    assert_eq!(
        f(&r[0]),
        (
            "ConsoleLogin",
            "maria",
            "198.51.100.24",
            Some(Outcome::Success)
        )
    );
    // Console sign-in failure without errorCode.
    assert_eq!(
        f(&r[1]),
        (
            "ConsoleLogin",
            "ops-bot",
            "203.0.113.77",
            Some(Outcome::Failure)
        )
    );
    // Assumed role: the session issuer's name; errorCode means failure.
    assert_eq!(
        f(&r[2]),
        (
            "PutBucketPolicy",
            "ci-deployer",
            "192.0.2.10",
            Some(Outcome::Failure)
        )
    );
    // Issuer without userName: last part of its ARN; first address of a list.
    assert_eq!(
        f(&r[3]),
        ("GetItem", "reader", "10.0.0.5", Some(Outcome::Success))
    );
    // Root: last part of the ARN; empty errorCode is not an error; eventName trimmed.
    assert_eq!(
        f(&r[4]),
        (
            "CreateAccessKey",
            "root",
            "198.51.100.99",
            Some(Outcome::Success)
        )
    );
    // Service call: invokedBy; a host name is not a source IP.
    assert_eq!(
        f(&r[5]),
        (
            "AssumeRole",
            "ec2.amazonaws.com",
            "-",
            Some(Outcome::Success)
        )
    );
    // Identity Center: additionalEventData.UserName; "AWS Internal" is not an IP.
    assert_eq!(f(&r[6]).1, "jdoe@example.com");
    assert_eq!(r[6].fields.src_ip, None);
    assert_eq!(
        r[7].fields.fallback_reason.as_deref(),
        Some("no usable time field")
    );
    assert_eq!(r[7].timestamp_ms, common::LAST_MODIFIED_MS);
    assert_eq!(
        r[8].fields.fallback_reason.as_deref(),
        Some("event is not a JSON object")
    );

    let ins = records(
        "aws-cloudtrail",
        "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/05/01/111122223333_CloudTrail-Insight_us-east-1_20240501T1300Z_ins.json",
    );
    assert_eq!(ins.len(), 2);
    assert_eq!(ins[0].fields.event_name.as_deref(), Some("RunInstances"));
    assert_eq!(
        ins[0].fields.event_type.as_deref(),
        Some("AwsCloudTrailInsight")
    );
    assert_eq!(ins[0].fields.outcome, None);

    let digest = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_20240501T1200Z.json";
    let bytes = std::fs::read(fixtures_dir().join("aws-cloudtrail").join(digest)).expect("digest");
    assert!(matches!(
        run(&builtin("aws-cloudtrail"), digest, &bytes),
        Output::Skipped("cloudtrail digest file")
    ));
    let org = records(
        "aws-cloudtrail",
        "AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/eu-west-1/2024/05/02/444455556666_CloudTrail_eu-west-1_20240502T0815Z_org.json.gz",
    );
    assert_eq!(
        f(&org[0]),
        (
            "GetObject",
            "AWSReservedSSO_Admin_abc",
            "2001:db8::42",
            Some(Outcome::Success)
        )
    );
}

#[test]
fn crowdstrike_families() {
    let types = |rel: &str| -> Vec<Option<String>> {
        records("crowdstrike", rel)
            .iter()
            .map(|r| r.fields.event_type.as_deref().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        types("fdr/aidmaster/aidmaster-00000.ndjson"),
        vec![Some("aidmaster".into()); 2]
    );
    assert_eq!(
        types("fdr/managedassets/part-00000.ndjson"),
        vec![Some("managedassets".into())]
    );
    assert_eq!(
        types("fdr/notmanaged/part-00000.ndjson"),
        vec![Some("notmanaged".into())]
    );
    assert_eq!(
        types("fdr/data/external-api-00000.ndjson"),
        vec![Some("external_api".into()); 2]
    );
    let data = records("crowdstrike", "fdr/data/part-00000.ndjson");
    assert_eq!(data[0].fields.event_name.as_deref(), Some("ProcessRollup2"));
    assert_eq!(
        data[0].fields.timestamp_ms,
        Some(1_714_564_800_123),
        "ms string"
    );
    assert_eq!(
        data[4].fields.timestamp_ms,
        Some(1_714_564_804_250),
        "ContextTimeStamp seconds"
    );
    let aid = records("crowdstrike", "fdr/aidmaster/aidmaster-00000.ndjson");
    assert_eq!(
        aid[0].fields.timestamp_ms,
        Some(1_714_564_000_037),
        "Time with 7 fraction digits"
    );
    assert_eq!(aid[0].fields.host.as_deref(), Some("web-01.corp.example"));
    let stream = records("crowdstrike", "siem/falcon-stream.ndjson");
    assert!(stream
        .iter()
        .all(|r| r.fields.event_type.as_deref() == Some("stream")));
    assert_eq!(stream[1].fields.outcome, Some(Outcome::Failure));
    // IdpDetectionSummaryEvent without eventCreationTime: FILETIME ContextTimeStamp.
    assert_eq!(stream[3].fields.timestamp_ms, Some(1_714_565_003_000));
    // Aidmaster detected by its fields when the key has no prefix.
    let ctx = ObjectContext::new(ObjectRef::new("b", "export.ndjson"), None, None, None);
    let raw: Box<RawValue> = serde_json::from_str(
        r#"{"AgentLoadFlags":"0","ComputerName":"h","Time":"1714564000.5","aid":"x"}"#,
    )
    .expect("json");
    let n = builtin("crowdstrike").normalize(&Event::new(raw.get(), &ctx, None));
    assert_eq!(n.event_type.as_deref(), Some("aidmaster"));
}

#[test]
fn generic_time_formats() {
    let r = records("generic", "app/time-formats.ndjson");
    let t: Vec<Option<i64>> = r.iter().map(|r| r.fields.timestamp_ms).collect();
    let base = 1_714_564_800_000;
    assert_eq!(
        t,
        vec![
            Some(base),
            Some(base + 500),
            Some(base + 123),
            Some(base + 7 * 3_600_000 + 123),
            Some(base),
            Some(base + 750),
            Some(base + 123),
            Some(base + 123),
            Some(base + 123),
            Some(base + 123),
            Some(base + 9_000),
            Some(base + 10_000),
            None,
            None,
            None,
            None,
            Some(base + 11_000),
        ]
    );
    let custom = s3conn_sources::GenericJson::with_time_fields(["at"]);
    let custom: Arc<dyn LogSource> = Arc::new(custom);
    let out = run(
        &custom,
        "k",
        br#"{"at":"2024-05-01T12:00:00Z","time":"1999-01-01T00:00:00Z"}"#,
    );
    assert_eq!(out.records()[0].fields.timestamp_ms, Some(base));

    // Nested fields by JSON pointer, options read from a config document.
    let options: s3conn_sources::GenericOptions = serde_json::from_str(
        r#"{"time_fields":["/properties/log/requestReceivedTimestamp","addr.time"],"guess_time_fields":false}"#,
    )
    .expect("options");
    assert_eq!(
        options.expand_fields,
        s3conn_sources::GenericOptions::default().expand_fields
    );
    let nested: Arc<dyn LogSource> = Arc::new(s3conn_sources::GenericJson::with_options(options));
    let doc = br#"{"properties":{"log":{"requestReceivedTimestamp":"2024-05-01T12:00:00.000001Z"}},"time":"2000-01-01T00:00:00Z"}
{"addr.time":1714564800,"properties":"flat"}
{"query_timestamp":"2024-05-01T12:00:00Z"}
"#;
    let out = run(&nested, "k", doc);
    let t: Vec<_> = out
        .records()
        .iter()
        .map(|r| r.fields.timestamp_ms)
        .collect();
    assert_eq!(
        t,
        [Some(base), Some(base), None],
        "pointer, dotted key, guessing off"
    );
}

#[test]
fn proofpoint_families() {
    let all = records("proofpoint", "tap/siem-all-20240501T1210Z.json");
    let types = column(&all, |f| f.event_type.as_deref());
    assert_eq!(
        types,
        [
            "messagesDelivered",
            "messagesBlocked",
            "clicksPermitted",
            "clicksBlocked"
        ]
    );
    let outcomes: Vec<_> = all.iter().map(|r| r.fields.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Some(Outcome::Success),
            Some(Outcome::Failure),
            Some(Outcome::Success),
            Some(Outcome::Failure)
        ]
    );
    // Envelope line with an empty list yields nothing; the key names the list.
    let blocked = records("proofpoint", "tap/messages_blocked-20240501.ndjson");
    assert_eq!(blocked.len(), 1);
    assert_eq!(
        blocked[0].fields.event_type.as_deref(),
        Some("messagesBlocked")
    );
    let pod = |rel| records("proofpoint", rel)[0].fields.clone();
    let m = pod("pod/message-20240501.ndjson");
    assert_eq!(m.event_type.as_deref(), Some("pod_message"));
    assert_eq!(
        m.timestamp_ms,
        Some(1_714_565_403_058),
        "-0700 without colon"
    );
    let l = pod("pod/maillog-20240501.ndjson");
    assert_eq!(l.event_type.as_deref(), Some("pod_maillog"));
    assert_eq!(l.src_ip.as_deref(), Some("2001:db8::25"));
    assert_eq!(l.user.as_deref(), Some("alice@corp.example"));
    let a = pod("pod/audit-20240501.ndjson");
    assert_eq!(a.event_type.as_deref(), Some("pod_audit"));
    assert_eq!(a.event_name.as_deref(), Some("login"));
}

#[test]
fn teleport_rules() {
    let r = records("teleport", "cluster-a/2024-05-01.log");
    let ips = column(&r, |f| f.src_ip.as_deref());
    assert_eq!(
        &ips[..4],
        [
            "198.51.100.5",
            "2001:db8::7",
            "2001:db8:cafe::",
            "198.51.100.6"
        ]
    );
    assert_eq!(
        r[0].fields.timestamp_ms,
        Some(1_714_564_800_123),
        "nanoseconds truncated"
    );
    assert_eq!(r[1].fields.outcome, Some(Outcome::Failure), "success:false");
    assert_eq!(r[4].fields.user.as_deref(), Some("dave"), "user object");
    assert_eq!(r[5].fields.user.as_deref(), Some("erin"), "updated_by");
    assert_eq!(r[6].fields.outcome, Some(Outcome::Failure), "error code");
    assert_eq!(r[7].fields.outcome, Some(Outcome::Failure), "warning code");
    assert_eq!(
        r[9].fields.fallback_reason.as_deref(),
        Some("no usable time field")
    );
    assert_eq!(
        r[10].fields.timestamp_ms,
        Some(1_694_995_200_000),
        "zone-less time as UTC"
    );
}

/// Every source, every field it reads, every JSON type: nothing panics, every event yields a
/// record.
#[test]
fn no_input_panics() {
    let values = [
        "null",
        "true",
        "false",
        "0",
        "-1",
        "1.5",
        "1e300",
        "18446744073709551615",
        "123456789012345678901234567890",
        // Found by the `sources` fuzz target: beyond f64's range, and an epoch with two dots.
        "1714E564800123456789",
        "\"1714565000.1.5\"",
        "\"17145648004564800.100\"",
        "\"\"",
        "\"x\"",
        "\"2024-05-01T12:00:00Z\"",
        "\"1714564800123\"",
        "\"9999999999999999999999\"",
        "[]",
        "[null,1,\"a\"]",
        "{}",
        "{\"a\":{\"b\":[1,{}]}}",
        "\"\\u0000\\ud83d\\ude00\"",
    ];
    let fields = [
        "eventTime",
        "eventName",
        "eventType",
        "eventSource",
        "sourceIPAddress",
        "errorCode",
        "userIdentity",
        "type",
        "userName",
        "arn",
        "principalId",
        "invokedBy",
        "sessionContext",
        "sessionIssuer",
        "insightDetails",
        "additionalEventData",
        "UserName",
        "responseElements",
        "ConsoleLogin",
        "metadata",
        "event",
        "event_simpleName",
        "EventType",
        "ExternalApiType",
        "timestamp",
        "Time",
        "_time",
        "UTCTimestamp",
        "ContextTimeStamp",
        "ProcessStartTime",
        "AgentLocalTime",
        "FirstSeen",
        "UserSid",
        "aip",
        "aid",
        "AgentIdString",
        "ComputerName",
        "AgentLoadFlags",
        "eventCreationTime",
        "Timestamp",
        "StartTime",
        "UserId",
        "UserIp",
        "LocalIP",
        "Success",
        "messageTime",
        "clickTime",
        "threatTime",
        "recipient",
        "senderIP",
        "clickIP",
        "cluster",
        "classification",
        "ts",
        "connection",
        "envelope",
        "filter",
        "msg",
        "sm",
        "pps",
        "audit",
        "user",
        "time",
        "code",
        "updated_by",
        "identity",
        "addr.remote",
        "server_hostname",
        "cluster_name",
        "success",
        "error",
        "@timestamp",
        "date",
        "Records",
        "messagesDelivered",
    ];
    let spec = s3conn_sources::DeclarativeSource::from_path(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/teleport.toml"),
    )
    .expect("spec");
    let mut sources: Vec<Arc<dyn LogSource>> = s3conn_sources::builtin_sources();
    sources.push(Arc::new(spec));
    let ctx = ObjectContext::new(ObjectRef::new("b", "k"), None, None, Some(1));
    let mut docs = Vec::new();
    for v in values {
        docs.push(v.to_owned());
        let all: Vec<String> = fields.iter().map(|k| format!("\"{k}\":{v}")).collect();
        docs.push(format!("{{{}}}", all.join(",")));
        // The same value one level down, under every field.
        let nested: Vec<String> = fields
            .iter()
            .map(|k| format!("\"{k}\":{{{}}}", all.join(",")))
            .collect();
        docs.push(format!("{{{}}}", nested.join(",")));
        // Duplicate keys.
        docs.push(format!("{{{},{}}}", all.join(","), all.join(",")));
    }
    for s in &sources {
        for d in &docs {
            let raw: Box<RawValue> = serde_json::from_str(d).expect("valid JSON");
            let n = s.normalize(&Event::new(raw.get(), &ctx, Some("messagesDelivered")));
            assert!(
                n.timestamp_ms.is_some() || n.fallback_reason.is_some(),
                "{}: neither time nor reason for {d}",
                s.info().id
            );
        }
    }
}
