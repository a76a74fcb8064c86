//! The `clickhouse` preset against a real ClickHouse (Debian's `clickhouse-server`, started on a
//! free loopback port with a temporary data directory): the table it creates, records counted
//! and de-duplicated after a redelivery, refused credentials, and the server down then back.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use s3conn_core::testing::sample_records;
use s3conn_core::{Sink, SinkError};
use s3conn_sinks::presets::clickhouse::ClickHouse;
use s3conn_sinks::testing::ClickHouseServer;
use s3conn_sinks::{Auth, HttpSettings, HttpSink};

fn sink(server: &ClickHouseServer, table: &str, auth: Auth) -> HttpSink {
    let mut s = HttpSettings::new(server.url());
    s.auth = auth;
    s.linger = Duration::from_millis(20);
    s.retry_base = Duration::from_millis(20);
    s.retry_max = Duration::from_millis(100);
    s.max_retries = 2;
    HttpSink::new(s, Arc::new(ClickHouse::new(table, true).unwrap())).unwrap()
}

async fn server() -> Option<ClickHouseServer> {
    // A real part the suite needs: missing is a failure, not a skip (.ci/run installs it).
    assert!(
        ClickHouseServer::available(),
        "clickhouse-server is not installed: apt-get install clickhouse-server clickhouse-client"
    );
    Some(ClickHouseServer::start().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_land_once_after_deduplication_and_the_table_is_created() {
    let Some(ch) = server().await else { return };
    let sink = sink(&ch, "s3conn_logs", ch.auth());
    let batch = sample_records("ch", 1500);
    sink.deliver(&batch).await.unwrap();
    let counts = ch
        .query("SELECT count(), uniqExact(id) FROM s3conn_logs FORMAT TSV")
        .await
        .unwrap();
    assert_eq!(counts.trim(), "1500\t1500");
    // A redelivery (the same object read again) inserts the rows again...
    sink.deliver(&batch[..700]).await.unwrap();
    // (counted as inserted rows: a background merge may collapse them before a count())
    assert_eq!(ch.inserted_rows().await.unwrap(), 2200);
    // ...and ReplacingMergeTree ORDER BY id collapses them.
    ch.query("OPTIMIZE TABLE s3conn_logs FINAL").await.unwrap();
    let counts = ch
        .query("SELECT count(), uniqExact(id) FROM s3conn_logs FORMAT TSV")
        .await
        .unwrap();
    assert_eq!(counts.trim(), "1500\t1500");
    // The columns: envelope, fields, and the event as JSON text.
    let row = ch
        .query(&format!(
            "SELECT index, msg_class, bucket, key, tenant, event_name, timestamp_ms, toString(time), \
             JSONExtractString(event, 'text') FROM s3conn_logs WHERE id = '{}' FORMAT TSV",
            batch[2].id()
        ))
        .await;
    // JSONExtract* exists from 19.x; on 18.16 read the raw column instead.
    let row = match row {
        Ok(r) => r,
        Err(_) => ch
            .query(&format!(
                "SELECT index, msg_class, bucket, key, tenant, event_name, timestamp_ms, toString(time), \
                 event FROM s3conn_logs WHERE id = '{}' FORMAT TSV",
                batch[2].id()
            ))
            .await
            .unwrap(),
    };
    let cols: Vec<&str> = row.trim_end().split('\t').collect();
    assert_eq!(
        &cols[..6],
        [
            "Syslog",
            "test_log",
            "bucket",
            "conformance/ch.json",
            "tenant",
            ""
        ]
    );
    assert_eq!(cols[6], "1700000000002");
    assert_eq!(cols[7], "2023-11-14 22:13:20");
    assert!(cols[8].contains("ünïcödé 日本語 😀"), "{}", cols[8]);
    let ddl = ch.query("SHOW CREATE TABLE s3conn_logs").await.unwrap();
    assert!(
        ddl.contains("ReplacingMergeTree") && ddl.contains("ORDER BY id"),
        "{ddl}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_one_configuration_error() {
    let Some(ch) = server().await else { return };
    let wrong = Auth::Basic {
        user: "default".into(),
        password: "wrong".into(),
    };
    let e = sink(&ch, "t", wrong)
        .deliver(&sample_records("pw", 3))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, SinkError::Configuration(m) if m.contains("193")),
        "{e:?}"
    );
    let probe = sink(&ch, "t", Auth::None).probe().await;
    assert!(probe[0].ok, "{probe:?}");
    assert!(
        !probe[1].ok
            && probe[1]
                .advice
                .as_deref()
                .unwrap_or("")
                .contains("configuration"),
        "{probe:?}"
    );
    let probe = sink(&ch, "t", ch.auth()).probe().await;
    assert!(probe.iter().all(|c| c.ok), "{probe:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_down_is_retryable_and_delivery_resumes_when_it_returns() {
    let Some(mut ch) = server().await else { return };
    let sink = sink(&ch, "logs", ch.auth());
    let batch = sample_records("down", 50);
    sink.deliver(&batch[..10]).await.unwrap();
    ch.stop();
    let e = sink.deliver(&batch[10..]).await.unwrap_err();
    assert!(matches!(e, SinkError::Retryable(_)), "{e:?}");
    ch.resume().await.unwrap();
    sink.deliver(&batch[10..]).await.unwrap();
    let counts = ch
        .query("SELECT count(), uniqExact(id) FROM logs FINAL FORMAT TSV")
        .await
        .unwrap();
    assert_eq!(counts.trim(), "50\t50");
}
