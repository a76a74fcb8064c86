//! Several accounts against moto with authentication enforced: the queue and the store with
//! different credentials, a bucket read with its own assumed role, a bucket in another region
//! read in the region its notification names, and `test` naming the bucket that fails.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use common::{unique, Moto, ACCOUNT};
use s3conn_aws::connectivity::CheckOutcome;
use s3conn_aws::{BucketConfig, ConnectivityReport, Connector, RoleConfig, StatusClass};

/// NDJSON lines `{"marker": "<prefix>-<i>"}`.
fn lines(prefix: &str, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| format!("{{\"marker\":\"{prefix}-{i}\"}}\n"))
        .collect::<String>()
        .into_bytes()
}

/// The markers delivered, sorted.
fn markers(d: &common::Drained) -> Vec<String> {
    let mut m: Vec<String> = d
        .sink
        .records()
        .iter()
        .map(|r| r.event_value()["marker"].as_str().unwrap().to_string())
        .collect();
    m.sort();
    m
}

/// `(permission, resource, class)` of every failed check.
fn failures(report: &ConnectivityReport) -> Vec<(String, String, StatusClass)> {
    report
        .checks
        .iter()
        .filter_map(|c| match &c.outcome {
            CheckOutcome::Failed(f) => {
                Some((c.permission.clone(), c.resource.clone(), f.status_class))
            }
            _ => None,
        })
        .collect()
}

fn policy(actions: &[&str], resources: &[String]) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resources}]})
    .to_string()
}

fn bucket_arns(bucket: &str) -> Vec<String> {
    vec![
        format!("arn:aws:s3:::{bucket}"),
        format!("arn:aws:s3:::{bucket}/*"),
    ]
}

#[tokio::test]
async fn queue_and_store_read_with_their_own_credentials() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let queue_name = unique("q");
    let url = moto.create_queue(&clients, &queue_name).await;
    let bucket = unique("logs");
    moto.create_bucket(&clients, &bucket).await;
    moto.notify(&clients, &bucket, &queue_name).await;
    moto.put(&clients, &bucket, "app/1.ndjson", lines("one", 5))
        .await;
    moto.put(&clients, &bucket, "app/2.ndjson", lines("two", 3))
        .await;

    // One user may only use the queue, the other only read the bucket.
    let (qk, qs) = moto
        .create_user_with_key("queue-only", &policy(&["sqs:*"], &["*".to_string()]))
        .await;
    let (sk, ss) = moto
        .create_user_with_key("store-only", &policy(&["s3:*"], &bucket_arns(&bucket)))
        .await;
    moto.enforce_auth().await;

    let base = || {
        moto.config(&url)
            .buckets([bucket.clone()])
            .multiple_logs_per_file(true)
    };
    // Either identity alone fails the connection test.
    for (k, s) in [(&qk, &qs), (&sk, &ss)] {
        let alone = base().static_credentials(k, s).build().unwrap();
        let report = Connector::new(alone).await.unwrap().test().await;
        assert!(!report.success, "{report}");
    }

    let config = base()
        .queue_static_credentials(&qk, &qs)
        .store_static_credentials(&sk, &ss)
        .build()
        .unwrap();
    let connector = Connector::new(config).await.unwrap();
    let report = connector.test().await;
    assert!(report.success, "{report}");
    let drained = common::drain(&connector, "generic", Duration::from_secs(1)).await;
    assert_eq!(drained.stats.records_delivered, 8, "{:?}", drained.stats);
    assert_eq!(markers(&drained).len(), 8);
    assert!(drained.dead.items().is_empty());
}

/// Moto with: a queue; bucket `own` the reader may read; bucket `remote` only `role` may read,
/// the role assumable by the reader with external id `ext`. Returns the reader's keys.
struct TwoAccounts {
    moto: Moto,
    url: String,
    own: String,
    remote: String,
    role: String,
    key: (String, String),
    clients: s3conn_aws::AwsClients,
}

async fn two_accounts() -> TwoAccounts {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let queue_name = unique("q");
    let url = moto.create_queue(&clients, &queue_name).await;
    let own = unique("own");
    let remote = unique("remote");
    for b in [&own, &remote] {
        moto.create_bucket(&clients, b).await;
        moto.notify(&clients, b, &queue_name).await;
    }
    moto.put(&clients, &own, "a.ndjson", lines("own", 4)).await;
    moto.put(&clients, &remote, "b.ndjson", lines("remote", 6))
        .await;

    let reader_policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sqs:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": bucket_arns(&own)},
        {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": "*"}]})
    .to_string();
    let key = moto.create_user_with_key("reader", &reader_policy).await;
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/reader")},
        "Condition": {"StringEquals": {"sts:ExternalId": "ext"}}}]})
    .to_string();
    moto.iam(&[
        ("Action", "CreateRole"),
        ("RoleName", "cross-account"),
        ("AssumeRolePolicyDocument", &trust),
    ])
    .await;
    moto.iam(&[
        ("Action", "PutRolePolicy"),
        ("RoleName", "cross-account"),
        ("PolicyName", "read"),
        ("PolicyDocument", &policy(&["s3:*"], &bucket_arns(&remote))),
    ])
    .await;
    moto.enforce_auth().await;
    TwoAccounts {
        moto,
        url,
        own,
        remote,
        role: format!("arn:aws:iam::{ACCOUNT}:role/cross-account"),
        key,
        clients,
    }
}

#[tokio::test]
async fn a_bucket_with_its_own_role_is_read_with_that_role() {
    let t = two_accounts().await;
    let config = t
        .moto
        .config_with_keys(&t.url, &t.key.0, &t.key.1)
        .multiple_logs_per_file(true)
        .buckets([t.own.clone()])
        .bucket(BucketConfig::new(&t.remote).role(RoleConfig::new(&t.role).external_id("ext")))
        .build()
        .unwrap();
    let connector = Connector::new(config).await.unwrap();
    let report = connector.test().await;
    assert!(report.success, "{report}");
    assert!(
        report
            .to_string()
            .contains(&format!("with role {}", t.role)),
        "{report}"
    );

    let drained = common::drain(&connector, "generic", Duration::from_secs(1)).await;
    let m = markers(&drained);
    assert_eq!(m.len(), 10, "{:?} {m:?}", drained.stats);
    assert_eq!(m.iter().filter(|m| m.starts_with("remote-")).count(), 6);
    assert!(
        drained.dead.items().is_empty(),
        "{:?}",
        drained.dead.items()
    );
    // One client per identity: the store's own and the role's.
    let built = connector.store().bucket_clients().built();
    assert!(
        built.contains(&(Some(t.role.clone()), "us-east-1".to_string())),
        "{built:?}"
    );
    assert!(
        built.contains(&(None, "us-east-1".to_string())),
        "{built:?}"
    );
    let _ = t.clients;
}

#[tokio::test]
async fn test_names_the_bucket_that_fails_and_the_permission() {
    let t = two_accounts().await;
    let config = |remote: BucketConfig| {
        t.moto
            .config_with_keys(&t.url, &t.key.0, &t.key.1)
            .buckets([t.own.clone()])
            .bucket(remote)
            .build()
            .unwrap()
    };
    let remote = format!("s3://{}", t.remote);

    // Without its role, the remote bucket is forbidden to the reader; the own bucket passes.
    let report = s3conn_aws::check_connectivity(&config(BucketConfig::new(&t.remote))).await;
    eprintln!("{report}");
    assert_eq!(
        failures(&report),
        vec![(
            "s3:ListBucket".to_string(),
            remote.clone(),
            StatusClass::Forbidden
        )],
        "{report}"
    );
    let text = report.to_string();
    assert!(
        text.contains(&format!("[FAIL] s3:ListBucket on {remote}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("[ok]   s3:GetObject on s3://{}", t.own)),
        "{text}"
    );

    // With the role but the wrong external id: the role cannot be assumed, and the report says so.
    let wrong = BucketConfig::new(&t.remote).role(RoleConfig::new(&t.role).external_id("wrong"));
    let report = s3conn_aws::check_connectivity(&config(wrong)).await;
    eprintln!("{report}");
    let f = failures(&report);
    assert_eq!(f.len(), 1, "{report}");
    assert_eq!(
        (f[0].0.as_str(), f[0].1.as_str()),
        ("sts:AssumeRole", remote.as_str()),
        "{report}"
    );
    let text = report.to_string();
    assert!(text.contains(&t.role), "{text}");
    assert!(text.contains("check the role's trust policy"), "{text}");
}

#[tokio::test]
async fn a_bucket_in_another_region_is_read_in_the_region_its_notification_names() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let url = moto.create_queue(&clients, &unique("q")).await;
    let bucket = unique("eu");
    let eu = aws_sdk_s3::Client::from_conf(
        clients
            .s3
            .config()
            .to_builder()
            .region(aws_sdk_s3::config::Region::new("eu-west-1"))
            .build(),
    );
    eu.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let body = lines("eu", 3);
    let size = body.len();
    eu.put_object()
        .bucket(&bucket)
        .key("x.ndjson")
        .body(body.into())
        .send()
        .await
        .unwrap();
    // S3 notifies only a queue of the bucket's region; the notification names that region. (The
    // queue here is in us-east-1: the message is sent as S3 would.)
    let event = serde_json::json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": "x.ndjson", "size": size}}}]});
    clients
        .sqs
        .send_message()
        .queue_url(&url)
        .message_body(event.to_string())
        .send()
        .await
        .unwrap();

    let config = moto
        .config(&url)
        .buckets([bucket.clone()])
        .multiple_logs_per_file(true)
        .build()
        .unwrap();
    let connector = Connector::new(config).await.unwrap();
    let drained = common::drain(&connector, "generic", Duration::from_secs(1)).await;
    assert_eq!(markers(&drained), vec!["eu-0", "eu-1", "eu-2"]);
    let records = drained.sink.records();
    assert_eq!(
        records[0].context.object.region.as_deref(),
        Some("eu-west-1"),
        "the notification names the bucket's region"
    );
    // The object was read by a client of the bucket's region, not the store's (us-east-1).
    assert_eq!(
        connector.store().bucket_clients().built(),
        vec![(None, "eu-west-1".to_string())]
    );
}

#[tokio::test]
async fn the_queue_is_read_through_its_own_role() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let queue_name = unique("q");
    let url = moto.create_queue(&clients, &queue_name).await;
    let bucket = unique("logs");
    moto.create_bucket(&clients, &bucket).await;
    moto.notify(&clients, &bucket, &queue_name).await;
    moto.put(&clients, &bucket, "a.ndjson", lines("q", 2)).await;

    // The keys may read the bucket and assume roles; only the role may use the queue.
    let user_policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": bucket_arns(&bucket)},
        {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": "*"}]})
    .to_string();
    let (k, s) = moto.create_user_with_key("collector", &user_policy).await;
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/collector")}}]})
    .to_string();
    moto.iam(&[
        ("Action", "CreateRole"),
        ("RoleName", "queue-consumer"),
        ("AssumeRolePolicyDocument", &trust),
    ])
    .await;
    moto.iam(&[
        ("Action", "PutRolePolicy"),
        ("RoleName", "queue-consumer"),
        ("PolicyName", "consume"),
        ("PolicyDocument", &policy(&["sqs:*"], &["*".to_string()])),
    ])
    .await;
    moto.enforce_auth().await;

    let base = || {
        moto.config_with_keys(&url, &k, &s)
            .buckets([bucket.clone()])
            .multiple_logs_per_file(true)
    };
    let report = Connector::new(base().build().unwrap())
        .await
        .unwrap()
        .test()
        .await;
    assert_eq!(
        failures(&report)
            .iter()
            .map(|f| f.0.as_str())
            .collect::<Vec<_>>(),
        vec!["sqs:ReceiveMessage"],
        "{report}"
    );

    let role = RoleConfig::new(format!("arn:aws:iam::{ACCOUNT}:role/queue-consumer"));
    let connector = Connector::new(base().queue_role(role).build().unwrap())
        .await
        .unwrap();
    let report = connector.test().await;
    assert!(report.success, "{report}");
    let drained = common::drain(&connector, "generic", Duration::from_secs(1)).await;
    assert_eq!(markers(&drained), vec!["q-0", "q-1"]);
}
