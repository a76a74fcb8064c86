//! The presets against a local HTTP server playing the destinations' documented answers:
//! Elasticsearch `_bulk` with `errors: true` and mixed item statuses, Splunk HEC's error codes,
//! and a plain NDJSON receiver running the `Sink` conformance suite.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use s3conn_core::testing::{sample_records, sink_conformance, SinkFixture};
use s3conn_core::{Sink, SinkError};
use s3conn_sinks::presets::elasticsearch::{Bulk, Flavor};
use s3conn_sinks::presets::ndjson::Ndjson;
use s3conn_sinks::presets::splunk_hec::{Hec, HecSettings};
use s3conn_sinks::testing::{HttpServer, Reply, Request};
use s3conn_sinks::{Auth, HttpSettings, HttpSink, IndexTemplate};
use serde_json::Value;

fn settings(url: &str) -> HttpSettings {
    let mut s = HttpSettings::new(url);
    s.linger = Duration::from_millis(20);
    s.retry_base = Duration::from_millis(10);
    s.retry_max = Duration::from_millis(50);
    s
}

fn lines(r: &Request) -> Vec<Value> {
    r.text()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// http-ndjson: the Sink contract.

struct NdjsonFixture {
    server: HttpServer,
    sink: HttpSink,
}

#[async_trait]
impl SinkFixture for NdjsonFixture {
    fn sink(&self) -> &dyn Sink {
        &self.sink
    }
    async fn delivered(&self) -> Vec<Value> {
        self.server.requests().iter().flat_map(lines).collect()
    }
}

#[tokio::test]
async fn ndjson_sink_passes_the_conformance_suite() {
    let server = HttpServer::start(|_, _| Reply::json(200, "{}"))
        .await
        .unwrap();
    let mut s = settings(&format!("{}/ingest", server.url));
    s.max_records = 300;
    let sink = HttpSink::new(s, Arc::new(Ndjson)).unwrap();
    let fixture = NdjsonFixture { server, sink };
    sink_conformance(&fixture).await;
    let requests = fixture.server.requests();
    assert!(requests
        .iter()
        .all(|r| r.method == "POST" && r.path == "/ingest"));
    assert!(requests
        .iter()
        .all(|r| r.header("content-encoding") == Some("gzip")));
    assert!(requests.iter().all(|r| lines(r).len() <= 300));
}

#[tokio::test]
async fn concurrent_deliveries_share_requests() {
    let server = HttpServer::start(|_, _| Reply::json(200, "{}"))
        .await
        .unwrap();
    let mut s = settings(&server.url);
    s.max_records = 50;
    s.linger = Duration::from_secs(30);
    s.auth = Auth::Bearer("tok".into());
    let sink = HttpSink::new(s, Arc::new(Ndjson)).unwrap();
    let batches: Vec<_> = (0..10)
        .map(|i| sample_records(&format!("b{i}"), 10))
        .collect();
    let results = futures::future::join_all(batches.iter().map(|b| sink.deliver(b))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let requests = server.requests();
    // 100 records in full requests of 50: no linger needed.
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| lines(r).len() == 50));
    assert_eq!(requests[0].header("authorization"), Some("Bearer tok"));
}

/// A batch every caller waits on is sent at once, not after its linger: with `max_records`
/// larger than what the callers hold, waiting would stall them for the whole linger each time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_every_caller_waits_on_is_sent_before_its_linger() {
    let server = HttpServer::start(|_, _| Reply::json(200, "{}"))
        .await
        .unwrap();
    let mut s = settings(&server.url);
    s.max_records = 10_000;
    s.linger = Duration::from_secs(30);
    let sink = Arc::new(HttpSink::new(s, Arc::new(Ndjson)).unwrap());
    let started = std::time::Instant::now();
    // Three callers delivering 1, 3 and 5 batches one after another (as objects in flight do):
    // once the first and then the second are done for good, the others must not wait on them.
    let callers: Vec<_> = (0..3)
        .map(|c| {
            let sink = sink.clone();
            tokio::spawn(async move {
                for b in 0..(1 + 2 * c) {
                    let records = sample_records(&format!("c{c}-b{b}"), 20);
                    sink.deliver(&records).await.unwrap();
                }
            })
        })
        .collect();
    for c in callers {
        c.await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the callers waited out the linger: {:?}",
        started.elapsed()
    );
    let delivered: usize = server.requests().iter().map(|r| lines(r).len()).sum();
    assert_eq!(delivered, 180);
}

#[tokio::test]
async fn a_4xx_dead_letters_the_batch_with_an_excerpt_and_401_is_a_configuration_error() {
    let server = HttpServer::start(|_, n| match n {
        0 => Reply::json(400, r#"{"error":"field too long"}"#),
        _ => Reply::json(401, r#"{"error":"bad token"}"#),
    })
    .await
    .unwrap();
    let sink = HttpSink::new(settings(&server.url), Arc::new(Ndjson)).unwrap();
    let batch = sample_records("r", 3);
    match sink.deliver(&batch).await {
        Err(SinkError::PartlyRejected(r)) => {
            assert_eq!(r.iter().map(|r| r.index).collect::<Vec<_>>(), [0, 1, 2]);
            assert!(r[0].reason.contains("HTTP 400") && r[0].reason.contains("field too long"));
        }
        other => panic!("{other:?}"),
    }
    let e = sink.deliver(&batch).await.unwrap_err();
    assert!(
        matches!(&e, SinkError::Configuration(m) if m.contains("401")),
        "{e:?}"
    );
    // One request each: no retry of a rejection or of refused credentials.
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_request_too_large_is_sent_in_halves_and_a_record_too_large_alone_is_rejected() {
    // The destination takes at most two records a request.
    let server = HttpServer::start(|r, _| {
        if lines(r).len() > 2 {
            Reply::json(413, r#"{"error":"request entity too large"}"#)
        } else {
            Reply::json(200, "{}")
        }
    })
    .await
    .unwrap();
    let sink = HttpSink::new(settings(&server.url), Arc::new(Ndjson)).unwrap();
    let batch = sample_records("r", 5);
    sink.deliver(&batch).await.expect("delivered in halves");
    let accepted: Vec<Value> = server
        .requests()
        .iter()
        .map(lines)
        .filter(|l| l.len() <= 2)
        .flatten()
        .collect();
    let mut ids: Vec<String> = accepted
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort_unstable();
    let mut want: Vec<String> = batch.iter().map(|r| r.id()).collect();
    want.sort_unstable();
    assert_eq!(ids, want, "every record once, none lost, none twice");

    // A destination that takes no request at all: each record is tried alone, then rejected.
    let server = HttpServer::start(|_, _| Reply::json(413, "{}"))
        .await
        .unwrap();
    let sink = HttpSink::new(settings(&server.url), Arc::new(Ndjson)).unwrap();
    match sink.deliver(&batch).await {
        Err(SinkError::PartlyRejected(r)) => {
            let mut indices: Vec<usize> = r.iter().map(|r| r.index).collect();
            indices.sort_unstable();
            assert_eq!(indices, [0, 1, 2, 3, 4]);
            assert!(r[0].reason.contains("HTTP 413"), "{}", r[0].reason);
        }
        other => panic!("{other:?}"),
    }
    // 5 → 2 + 3 → 1 + 1 + 1 + 2 → 1 + 1: nine requests.
    assert_eq!(server.requests().len(), 9);
}

#[tokio::test]
async fn retryable_statuses_are_retried_honouring_retry_after_then_reported_retryable() {
    let server = HttpServer::start(|_, n| match n {
        0 => Reply {
            status: 429,
            headers: vec![("retry-after".into(), "0".into())],
            body: b"slow down".to_vec(),
        },
        1 => Reply::json(503, "{}"),
        2 => Reply::json(408, "{}"),
        3 => Reply::json(200, "{}"),
        _ => Reply::json(500, "down"),
    })
    .await
    .unwrap();
    let mut s = settings(&server.url);
    s.max_retries = 3;
    let sink = HttpSink::new(s, Arc::new(Ndjson)).unwrap();
    sink.deliver(&sample_records("x", 2)).await.unwrap();
    assert_eq!(server.requests().len(), 4);
    // Then the server keeps failing: retries run out and the batch is retryable, not lost.
    let e = sink.deliver(&sample_records("y", 2)).await.unwrap_err();
    assert!(
        matches!(&e, SinkError::Retryable(m) if m.contains("500")),
        "{e:?}"
    );
    assert_eq!(server.requests().len(), 8);
}

#[tokio::test]
async fn an_unreachable_destination_is_retryable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut s = settings(&format!("http://127.0.0.1:{port}"));
    s.max_retries = 1;
    let sink = HttpSink::new(s, Arc::new(Ndjson)).unwrap();
    let e = sink.deliver(&sample_records("z", 1)).await.unwrap_err();
    assert!(matches!(e, SinkError::Retryable(_)), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Elasticsearch / OpenSearch `_bulk`.

/// The `_bulk` answer of Elasticsearch's documentation (errors: true): per item, `status` and
/// for failures `error.type` / `error.reason`.
fn bulk_answer(items: &[(&str, u16)]) -> String {
    let items: Vec<Value> = items
        .iter()
        .map(|(id, status)| {
            let mut item = serde_json::json!({
                "_index": "syslog", "_id": id, "status": status,
            });
            match status {
                201 => {
                    item["result"] = "created".into();
                    item["_version"] = 1.into();
                    item["_shards"] = serde_json::json!({"total": 2, "successful": 1, "failed": 0});
                }
                429 => {
                    item["error"] = serde_json::json!({
                        "type": "es_rejected_execution_exception",
                        "reason": "rejected execution of coordinating operation"
                    })
                }
                _ => {
                    item["error"] = serde_json::json!({
                        "type": "mapper_parsing_exception",
                        "reason": format!("failed to parse field [n] of type [long] in document with id '{id}'")
                    })
                }
            }
            serde_json::json!({ "index": item })
        })
        .collect();
    let errors = items
        .iter()
        .any(|i| i["index"]["status"].as_u64() != Some(201));
    serde_json::json!({"took": 30, "errors": errors, "items": items}).to_string()
}

/// The `_id`s of a `_bulk` body.
fn bulk_ids(r: &Request) -> Vec<String> {
    lines(r)
        .iter()
        .filter_map(|v| {
            v.pointer("/index/_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn bulk_retries_failed_items_alone_and_dead_letters_rejected_ones() {
    let server = HttpServer::start(|r, _| {
        let ids = bulk_ids(r);
        // First request: item 1 throttled (429), item 2 a mapping error, item 4 a 503.
        let statuses: Vec<(&str, u16)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let status = match (ids.len(), i) {
                    (6, 1) => 429,
                    (6, 2) => 400,
                    (6, 4) => 503,
                    _ => 201,
                };
                (id.as_str(), status)
            })
            .collect();
        Reply::json(200, bulk_answer(&statuses))
    })
    .await
    .unwrap();
    let template = IndexTemplate::parse("s3conn-{index}-{yyyy.MM.dd}").unwrap();
    let sink = HttpSink::new(
        settings(&server.url),
        Arc::new(Bulk::new(Flavor::Elasticsearch, template)),
    )
    .unwrap();
    let batch = sample_records("es", 6);
    let e = sink.deliver(&batch).await.unwrap_err();
    let SinkError::PartlyRejected(rejected) = e else {
        panic!("{e:?}")
    };
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].index, 2);
    assert!(
        rejected[0].reason.contains("mapper_parsing_exception"),
        "{}",
        rejected[0].reason
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/_bulk");
    assert_eq!(
        requests[0].header("content-type"),
        Some("application/x-ndjson")
    );
    // The retry carries the two failed items only; accepted ones are never sent again.
    assert_eq!(bulk_ids(&requests[1]), vec![batch[1].id(), batch[4].id()]);
    // Action lines: _index from the template, _id the record id; then the record itself.
    let first = lines(&requests[0]);
    assert_eq!(first.len(), 12);
    assert_eq!(first[0]["index"]["_index"], "s3conn-syslog-2023.11.14");
    assert_eq!(first[0]["index"]["_id"], batch[0].id());
    assert_eq!(first[1]["id"], batch[0].id());
    assert_eq!(first[1]["index"], "Syslog");
}

#[tokio::test]
async fn bulk_without_errors_accepts_everything_and_opensearch_is_the_same_api() {
    let server = HttpServer::start(|r, _| {
        let ids = bulk_ids(r);
        let items: Vec<(&str, u16)> = ids.iter().map(|i| (i.as_str(), 201)).collect();
        Reply::json(200, bulk_answer(&items))
    })
    .await
    .unwrap();
    let sink = HttpSink::new(
        settings(&server.url),
        Arc::new(Bulk::new(Flavor::OpenSearch, IndexTemplate::default())),
    )
    .unwrap();
    assert_eq!(sink.preset(), "opensearch");
    sink.deliver(&sample_records("os", 5)).await.unwrap();
    let r = server.requests();
    assert_eq!(r.len(), 1);
    assert_eq!(lines(&r[0])[0]["index"]["_index"], "syslog");
}

// ---------------------------------------------------------------------------------------------
// Splunk HEC.

fn hec(url: &str, settings_fn: impl FnOnce(&mut HecSettings)) -> HttpSink {
    let mut s = settings(url);
    s.auth = Auth::Splunk("00000000-0000-0000-0000-000000000000".into());
    let mut h = HecSettings {
        host: Some("collector-1".into()),
        ..HecSettings::default()
    };
    settings_fn(&mut h);
    HttpSink::new(s, Arc::new(Hec::new(h))).unwrap()
}

#[tokio::test]
async fn hec_encodes_events_retries_busy_and_dead_letters_the_invalid_event() {
    // HEC's documented answers: 503 code 9 "Server is busy", then 400 code 6 "Invalid data
    // format" naming the invalid event, then 200 code 0 "Success".
    let server = HttpServer::start(|_, n| match n {
        0 => Reply::json(503, r#"{"text":"Server is busy","code":9}"#),
        1 => Reply::json(
            400,
            r#"{"text":"Invalid data format","code":6,"invalid-event-number":2}"#,
        ),
        _ => Reply::json(200, r#"{"text":"Success","code":0}"#),
    })
    .await
    .unwrap();
    let sink = hec(&server.url, |_| {});
    let batch = sample_records("hec", 4);
    let e = sink.deliver(&batch).await.unwrap_err();
    let SinkError::PartlyRejected(rejected) = e else {
        panic!("{e:?}")
    };
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].index, 2);
    assert!(rejected[0].reason.contains("Invalid data format"));
    let r = server.requests();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].path, "/services/collector/event");
    assert_eq!(
        r[0].header("authorization"),
        Some("Splunk 00000000-0000-0000-0000-000000000000")
    );
    // The last request: every event but the invalid one.
    let sent: Vec<Value> = lines(&r[2]);
    assert_eq!(sent.len(), 3);
    let ev = &lines(&r[0])[0];
    assert_eq!(ev["time"].as_f64(), Some(1_700_000_000.0));
    assert_eq!(ev["sourcetype"], "test_log");
    assert_eq!(ev["source"], "bucket/conformance/hec.json");
    assert_eq!(ev["index"], "syslog");
    assert_eq!(ev["host"], "collector-1");
    assert_eq!(ev["event"]["id"], batch[0].id());
    // A record naming its host keeps it.
    assert_eq!(lines(&r[0])[1]["host"], "host-ü");
}

#[tokio::test]
async fn hec_invalid_token_is_one_configuration_error() {
    let server = HttpServer::start(|_, _| Reply::json(403, r#"{"text":"Invalid token","code":4}"#))
        .await
        .unwrap();
    let sink = hec(&server.url, |_| {});
    let e = sink.deliver(&sample_records("t", 3)).await.unwrap_err();
    assert!(
        matches!(&e, SinkError::Configuration(m) if m.contains("Invalid token")),
        "{e:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn hec_with_indexer_acknowledgement_waits_for_the_ack() {
    let server = HttpServer::start(|r, _| match r.path.as_str() {
        "/services/collector/ack" => Reply::json(200, r#"{"acks":{"7":true}}"#),
        _ => Reply::json(200, r#"{"text":"Success","code":0,"ackId":7}"#),
    })
    .await
    .unwrap();
    let sink = hec(&server.url, |h| {
        h.ack_channel = Some("FE0ECFAD-13D5-401B-847D-77833BD77131".into());
        h.index = Some(IndexTemplate::parse("main").unwrap());
    });
    sink.deliver(&sample_records("ack", 2)).await.unwrap();
    let r = server.requests();
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[0].header("x-splunk-request-channel"),
        Some("FE0ECFAD-13D5-401B-847D-77833BD77131")
    );
    assert_eq!(lines(&r[0])[0]["index"], "main");
    assert_eq!(r[1].path, "/services/collector/ack");
    assert_eq!(r[1].text(), r#"{"acks":[7]}"#);
}
