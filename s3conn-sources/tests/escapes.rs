//! Escaped strings are never lost: an event whose user name (or the field a source maps to
//! `user`) and action carry `\"` and `\\` is normalized with the right `user` and `event_name`,
//! through the pipeline's own decode path and through a plain `Event`, for every built-in source
//! and for a declarative one.

mod common;

use std::sync::Arc;

use common::{builtin, run, LAST_MODIFIED_MS};
use s3conn_core::{Event, LogSource, Normalized, ObjectContext, ObjectRef};

/// `bob "the builder" C:\tmp`, as JSON text (without the quotes).
const USER_JSON: &str = r#"bob \"the builder\" C:\\tmp"#;
/// What it reads as.
const USER: &str = r#"bob "the builder" C:\tmp"#;

/// The fields of each event of `doc`, through the pipeline's decode path (framer, expansion,
/// field notes) and, for a single event, through a plain `Event`; both must agree.
fn normalize_both(source: &Arc<dyn LogSource>, key: &str, doc: &str) -> Vec<Normalized> {
    let out = run(source, key, doc.as_bytes());
    let fields: Vec<Normalized> = out.records().iter().map(|r| r.fields.clone()).collect();
    if source
        .expand_fields()
        .iter()
        .all(|f| !doc.contains(f.as_str()))
    {
        let ctx = ObjectContext::new(
            ObjectRef::new("test-bucket", key),
            None,
            None,
            Some(LAST_MODIFIED_MS),
        );
        let plain = source.normalize(&Event::new(doc.trim(), &ctx, None));
        assert_eq!(fields, [plain], "pipeline path and plain Event agree");
    }
    fields
}

fn assert_read(n: &Normalized, event_name: &str, user: &str) {
    assert_eq!(n.fallback_reason, None, "time read from the event: {n:?}");
    assert_eq!(n.user.as_deref(), Some(user), "{n:?}");
    assert_eq!(n.event_name.as_deref(), Some(event_name), "{n:?}");
}

/// For each `(key, document, event_name)`: the document's first event, read by the built-in source
/// `id`, has `event_name` and the escaped user.
#[cfg(any(feature = "crowdstrike", feature = "proofpoint", feature = "teleport"))]
fn assert_first_events_read(id: &str, cases: &[(&str, String, &str)]) {
    let source = builtin(id);
    for (key, doc, event_name) in cases {
        let n = normalize_both(&source, key, doc);
        assert_read(&n[0], event_name, USER);
    }
}

#[cfg(feature = "cloudtrail")]
#[test]
fn cloudtrail_keeps_escaped_user_and_event_name() {
    let source = builtin("aws-cloudtrail");
    let doc = format!(
        r#"{{"Records":[
{{"eventTime":"2024-05-01T12:00:00Z","eventName":"Get\"Object\\","eventSource":"s3.amazonaws.com","userIdentity":{{"type":"IAMUser","userName":"{USER_JSON}"}}}},
{{"eventTime":"2024-05-01T12:00:01Z","eventName":"AssumeRole","userIdentity":{{"type":"AssumedRole","sessionContext":{{"sessionIssuer":{{"userName":"{USER_JSON}"}}}}}}}},
{{"eventTime":"2024-05-01T12:00:02Z","eventName":"CreateUser","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::1:user/{USER_JSON}"}}}},
{{"eventTime":"2024-05-01T12:00:03Z","eventName":"Authenticate","userIdentity":{{"type":"Unknown"}},"additionalEventData":{{"UserName":"{USER_JSON}"}}}}
]}}"#
    );
    let n = normalize_both(&source, "AWSLogs/1/CloudTrail/us-east-1/x.json", &doc);
    assert_eq!(n.len(), 4);
    assert_read(&n[0], r#"Get"Object\"#, USER);
    assert_read(&n[1], "AssumeRole", USER);
    assert_read(&n[2], "CreateUser", USER);
    assert_read(&n[3], "Authenticate", USER);
}

#[cfg(feature = "crowdstrike")]
#[test]
fn crowdstrike_keeps_escaped_user_and_event_name() {
    assert_first_events_read(
        "crowdstrike",
        &[
            (
                "stream/events.json",
                format!(
                    r#"{{"metadata":{{"eventType":"Auth\"Activity\\Audit","eventCreationTime":1714564800000}},"event":{{"UserName":"{USER_JSON}","Success":true}}}}"#
                ),
                r#"Auth"Activity\Audit"#,
            ),
            (
                "data/part-0.json",
                format!(
                    r#"{{"event_simpleName":"User\"Logon\\","UserName":"{USER_JSON}","timestamp":"1714564800000"}}"#
                ),
                r#"User"Logon\"#,
            ),
        ],
    );
}

#[cfg(feature = "proofpoint")]
#[test]
fn proofpoint_keeps_escaped_user_and_event_name() {
    assert_first_events_read(
        "proofpoint",
        &[
            (
                "tap/messages.json",
                format!(
                    r#"{{"messagesDelivered":[{{"messageTime":"2024-05-01T12:00:00.000Z","recipient":["{USER_JSON}"],"classification":"spam \"bulk\\"}}]}}"#
                ),
                r#"spam "bulk\"#,
            ),
            (
                "pod/audit.json",
                format!(
                    r#"{{"ts":"2024-05-01T12:00:00.000000-0700","audit":{{"action":"log\"in\\","user":{{"email":"{USER_JSON}"}}}}}}"#
                ),
                r#"log"in\"#,
            ),
            (
                "pod/maillog.json",
                format!(
                    r#"{{"ts":"2024-05-01T12:00:00.000000-0700","sm":{{"stat":"Sent \"ok\\","to":"<{USER_JSON}>"}}}}"#
                ),
                r#"Sent "ok\"#,
            ),
        ],
    );
}

#[cfg(feature = "teleport")]
#[test]
fn teleport_keeps_escaped_user_and_event_name() {
    assert_first_events_read(
        "teleport",
        &[
            (
                "teleport/events.json",
                format!(
                    r#"{{"time":"2024-05-01T12:00:00Z","event":"user.\"login\"\\","code":"T1000I","user":"{USER_JSON}"}}"#
                ),
                r#"user."login"\"#,
            ),
            (
                "teleport/events.json",
                format!(
                    r#"{{"time":"2024-05-01T12:00:00Z","event":"device.\"enroll\"","user":{{"user":"{USER_JSON}"}}}}"#
                ),
                r#"device."enroll""#,
            ),
            (
                "teleport/events.json",
                format!(
                    r#"{{"time":"2024-05-01T12:00:00Z","event":"session.start","identity":{{"user":"{USER_JSON}"}}}}"#
                ),
                "session.start",
            ),
        ],
    );
}

/// The generic source maps no user or event name; its one reading, the time, survives escapes in
/// the time value and in the key that names it.
#[cfg(feature = "generic")]
#[test]
fn generic_reads_escaped_time_fields() {
    let source = builtin("generic");
    let doc = format!(
        r#"{{"user":"{USER_JSON}","ti\u006de":"2024-05-01T12:00:00\u002e123Z","note":"a \"b\" \\ c"}}"#
    );
    let n = normalize_both(&source, "generic/x.json", &doc);
    assert_eq!(n[0].fallback_reason, None, "{:?}", n[0]);
    assert_eq!(n[0].timestamp_ms, Some(1_714_564_800_123));
}

#[test]
fn declarative_keeps_escaped_user_and_event_name() {
    let spec = s3conn_sources::DeclarativeSource::from_toml_str(
        r#"
id = "acme"
display_name = "Acme (JSON)"
index = "Syslog"
msg_class = "generic_s3_acme_log"
vendor = "acme"
[timestamp]
fields = ["/meta/at"]
[fields]
event_name = "action"
user = ["/actor/name", "actor_id"]
"#,
    )
    .expect("valid spec");
    let source: Arc<dyn LogSource> = Arc::new(spec);
    let doc = format!(
        r#"{{"meta":{{"at":"2024-05-01T12:00:00Z"}},"action":"Get\"Object\\","actor":{{"name":"{USER_JSON}"}}}}"#
    );
    let n = normalize_both(&source, "acme/x.json", &doc);
    assert_read(&n[0], r#"Get"Object\"#, USER);
    // Escaped keys are found too.
    let doc = format!(
        r#"{{"m\u0065ta":{{"a\u0074":"2024-05-01T12:00:00Z"}},"act\u0069on":"x\\y","actor_\u0069d":"{USER_JSON}"}}"#
    );
    let n = normalize_both(&source, "acme/x.json", &doc);
    assert_read(&n[0], r#"x\y"#, USER);
}
