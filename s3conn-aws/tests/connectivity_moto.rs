//! The connection test against moto: success, missing queue and bucket, rejected credentials,
//! missing permissions, and an unreachable endpoint.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use aws_sdk_s3::primitives::ByteStream;
use common::{unique, Moto, ACCOUNT};
use s3conn_aws::connectivity::CheckOutcome;
use s3conn_aws::{check_connectivity, ConnectivityReport, StatusClass};

/// The report's only failure is `permission` with `class`, and its text contains `says`.
fn assert_one_failure(
    report: &ConnectivityReport,
    permission: &str,
    class: StatusClass,
    says: &str,
) {
    assert_eq!(
        failures(report),
        vec![(permission.to_string(), class)],
        "{report}"
    );
    assert!(report.to_string().contains(says), "{report}");
}

fn failures(report: &ConnectivityReport) -> Vec<(String, StatusClass)> {
    report
        .checks
        .iter()
        .filter_map(|c| match &c.outcome {
            CheckOutcome::Failed(f) => Some((c.permission.clone(), f.status_class)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn reachable_queue_and_buckets_pass_and_nothing_is_hidden() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let url = moto.create_queue(&clients, &unique("q")).await;
    let full = unique("full");
    let empty = unique("empty");
    moto.create_bucket(&clients, &full).await;
    moto.create_bucket(&clients, &empty).await;
    clients
        .s3
        .put_object()
        .bucket(&full)
        .key("AWSLogs/one.log")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    clients
        .sqs
        .send_message()
        .queue_url(&url)
        .message_body("pending")
        .send()
        .await
        .unwrap();

    let config = moto
        .config(&url)
        .buckets([full.clone(), empty.clone()])
        .build()
        .unwrap();
    let report = check_connectivity(&config).await;
    assert!(report.success, "{report}");
    assert_eq!(report.checks.len(), 5, "{report}");
    assert!(report.to_string().contains("OK"));

    // The probe used a zero visibility timeout: the pending message is still visible.
    let out = clients
        .sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.messages().len(),
        1,
        "the connection test must not hide messages"
    );
}

#[tokio::test]
async fn missing_queue_and_bucket_are_404() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let url = format!("{}/{ACCOUNT}/no-such-queue", moto.endpoint);
    let config = moto
        .config(&url)
        .buckets(["no-such-bucket-s3conn"])
        .build()
        .unwrap();
    let report = check_connectivity(&config).await;
    assert!(!report.success);
    assert_eq!(
        failures(&report),
        vec![
            ("sqs:ReceiveMessage".to_string(), StatusClass::NotFound),
            ("s3:ListBucket".to_string(), StatusClass::NotFound),
        ],
        "{report}"
    );
    let text = report.to_string();
    assert!(text.contains("404 not found"), "{text}");
    assert!(text.contains("check the queue URL"), "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["checks"][0]["status_class"], "404");
    drop(clients);
}

#[tokio::test]
async fn unreachable_endpoint_is_a_connection_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/{ACCOUNT}/q");
    let config = s3conn_aws::ConnectorConfig::builder()
        .name("t")
        .log_source("x")
        .region(common::REGION)
        .sqs_queue_url(url)
        .allow_http(true)
        .static_credentials("testing", "testing")
        .build()
        .unwrap();
    let report = check_connectivity(&config).await;
    assert_one_failure(
        &report,
        "sqs:ReceiveMessage",
        StatusClass::Connection,
        "connection failure",
    );
}

#[tokio::test]
async fn rejected_credentials_are_401_and_missing_permissions_403() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let url = moto.create_queue(&clients, &unique("q")).await;
    let bucket = unique("b");
    moto.create_bucket(&clients, &bucket).await;
    // A user allowed to receive from SQS, with no S3 permission at all.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage"],"Resource":"*"}]}"#;
    let (key, secret) = moto.create_user_with_key("s3conn-reader", policy).await;
    moto.enforce_auth().await;

    // Unknown keys: the endpoint rejects the credentials.
    let config = moto.config(&url).buckets([bucket.clone()]).build().unwrap();
    let report = check_connectivity(&config).await;
    let f = failures(&report);
    assert_eq!(
        f[0],
        ("sqs:ReceiveMessage".to_string(), StatusClass::Unauthorized),
        "{report}"
    );
    assert!(
        f.iter().all(|(_, c)| *c == StatusClass::Unauthorized),
        "{report}"
    );
    assert!(
        report.to_string().contains("invalid or expired"),
        "{report}"
    );

    // Known keys with the wrong secret: the signature does not match.
    let config = moto
        .config_with_keys(&url, &key, "wrong-secret")
        .build()
        .unwrap();
    let report = check_connectivity(&config).await;
    assert_eq!(
        failures(&report)[0].1,
        StatusClass::Unauthorized,
        "{report}"
    );

    // Valid keys lacking S3 permissions: SQS passes, S3 is forbidden.
    let config = moto
        .config_with_keys(&url, &key, &secret)
        .buckets([bucket.clone()])
        .build()
        .unwrap();
    let report = check_connectivity(&config).await;
    assert!(!report.success, "{report}");
    assert!(
        matches!(report.checks[0].outcome, CheckOutcome::Passed { .. }),
        "{report}"
    );
    assert_one_failure(
        &report,
        "s3:ListBucket",
        StatusClass::Forbidden,
        "403 permission or scope",
    );
    // No secret leaks into the report.
    assert!(!report.to_string().contains(&secret));
    assert!(!serde_json::to_string(&report).unwrap().contains(&secret));
}
