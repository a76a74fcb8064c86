//! Routing by key on the in-memory backends: each object gets its route's source and decoding,
//! and a key no route takes is handled by the `unmatched` policy (dead-lettered, acknowledged
//! unread, or left on the queue), counted by reason.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{drain_config, run_report, FnSource, Setup};
use s3conn_core::decode::Framing;
use s3conn_core::route::{DecodeOverride, KeyPattern, Route, Router, Unmatched};
use s3conn_core::sink::{DeadLetterKind, MemorySink};
use s3conn_core::source::{KeyVerdict, LogSource, SourceInfo};
use s3conn_core::{Event, KeepReason, Normalized, Pipeline, RunStatus};

/// A source whose envelope is `id`; the event name is the field `n`.
fn source(id: &str) -> Arc<dyn LogSource> {
    FnSource::shared(
        SourceInfo::new(id, id, "Other", &format!("{id}_class"), "test"),
        &["Records"],
        |event: &Event<'_>| Normalized {
            event_name: event
                .value()
                .get("n")
                .and_then(|n| n.as_str())
                .map(Into::into),
            ..Normalized::default()
        },
    )
}

/// A source that refuses keys ending in `.digest` (as CloudTrail refuses its digests).
#[derive(Debug)]
struct Picky(Arc<SourceInfo>);

impl LogSource for Picky {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.0
    }
    fn accept_key(&self, key: &str) -> KeyVerdict {
        if key.ends_with(".digest") {
            KeyVerdict::Skip("digest")
        } else {
            KeyVerdict::Accept
        }
    }
    fn normalize(&self, _: &Event<'_>) -> Normalized {
        Normalized::default()
    }
}

/// Three prefixes: `alpha/` (glob), `beta/` (regex, one event per line), `pretty/` (auto).
fn router(unmatched: Unmatched) -> Router {
    Router::new(
        vec![
            Route::new(KeyPattern::glob("alpha/**").unwrap(), source("alpha")),
            Route::new(KeyPattern::regex("^beta/").unwrap(), source("beta")).decode(
                DecodeOverride {
                    framing: Some(Framing::Lines),
                    ..DecodeOverride::default()
                },
            ),
            Route::new(KeyPattern::glob("pretty/*.json").unwrap(), source("pretty")),
            Route::new(
                KeyPattern::glob("picky/**").unwrap(),
                Arc::new(Picky(Arc::new(SourceInfo::new(
                    "picky", "Picky", "Other", "picky", "test",
                )))),
            ),
        ],
        unmatched,
    )
}

fn pipeline(s: &Setup, unmatched: Unmatched, sink: &MemorySink) -> Pipeline {
    Pipeline::routed_builder(
        s.queue.clone(),
        s.store.clone(),
        router(unmatched),
        Arc::new(sink.clone()),
    )
    .dead_letter(Arc::new(s.dead.clone()))
    .config(drain_config())
    .build()
}

/// A pretty-printed document: one record when framed `auto`, bad lines when framed `lines`.
const PRETTY: &str = "{\n  \"n\": \"doc\"\n}\n";

fn setup_with_unknown() -> Setup {
    let s = Setup::new();
    s.object(
        "alpha/1/a.json",
        br#"{"Records":[{"n":"a1"},{"n":"a2"}]}"#.to_vec(),
    );
    s.object(
        "beta/b.ndjson",
        b"{\"n\":\"b1\"}\n{\"n\":\"b2\"}\n".to_vec(),
    );
    s.object("pretty/p.json", PRETTY.as_bytes().to_vec());
    s.object("unknown/u.json", b"{\"n\":\"u\"}\n".to_vec());
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_object_gets_its_routes_source_and_decoding() {
    let s = setup_with_unknown();
    // The same pretty-printed text under the `lines` route: each line is a bad record there.
    s.object("beta/pretty.json", PRETTY.as_bytes().to_vec());
    s.object("picky/x.digest", b"{}".to_vec());
    let sink = MemorySink::new();
    let report = run_report(&pipeline(&s, Unmatched::Ack, &sink)).await;
    assert!(report.is_complete(), "{}", report.status);
    let mut got: Vec<(String, String, String)> = sink
        .records()
        .iter()
        .map(|r| {
            (
                r.context.object.key.clone(),
                r.source.id.clone(),
                r.fields
                    .event_name
                    .as_deref()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String, String)> = [
        ("alpha/1/a.json", "alpha", "a1"),
        ("alpha/1/a.json", "alpha", "a2"),
        ("beta/b.ndjson", "beta", "b1"),
        ("beta/b.ndjson", "beta", "b2"),
        ("pretty/p.json", "pretty", "doc"),
    ]
    .iter()
    .map(|(k, s, n)| ((*k).to_owned(), (*s).to_owned(), (*n).to_owned()))
    .collect();
    assert_eq!(got, want);
    // `beta/` frames by lines: the pretty document's three lines are bad records there.
    let bad: Vec<_> = s
        .dead
        .items()
        .into_iter()
        .filter(|d| d.kind == DeadLetterKind::Record)
        .map(|d| d.object.unwrap().key)
        .collect();
    assert_eq!(bad, vec!["beta/pretty.json"; 3]);
    // The route's own source decides which keys it reads (`accept_key`).
    assert_eq!(report.stats.objects_skipped_by_source, 1);
    assert_eq!(report.stats.objects_unmatched_skipped, 1);
    assert_eq!(report.stats.objects_processed, 4);
    assert!(s.queue.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_dead_letter_names_the_key_then_acknowledges() {
    let s = setup_with_unknown();
    let sink = MemorySink::new();
    let report = run_report(&pipeline(&s, Unmatched::DeadLetter, &sink)).await;
    assert!(report.is_complete(), "{}", report.status);
    assert_eq!(sink.len(), 5);
    let items = s.dead.items();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].kind, DeadLetterKind::Object);
    assert_eq!(items[0].object.as_ref().unwrap().key, "unknown/u.json");
    assert!(
        items[0]
            .reason
            .starts_with("no route matches key 'unknown/u.json'"),
        "{}",
        items[0].reason
    );
    assert!(items[0].message_id.is_some());
    assert_eq!(report.stats.objects_unmatched_dead_lettered, 1);
    assert_eq!(report.stats.messages_acknowledged, 4);
    assert!(s.queue.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_dead_letter_without_a_destination_keeps_the_message() {
    let s = setup_with_unknown();
    let sink = MemorySink::new();
    let pipeline = Pipeline::routed_builder(
        s.queue.clone(),
        s.store.clone(),
        router(Unmatched::DeadLetter),
        Arc::new(sink.clone()),
    )
    .config(drain_config())
    .build();
    let report = run_report(&pipeline).await;
    let RunStatus::Kept(kept) = &report.status else {
        panic!("{}", report.status);
    };
    assert_eq!(kept[0].reason, KeepReason::NoDeadLetterDestination);
    assert!(kept[0].example.contains("unknown/u.json"), "{kept:?}");
    assert_eq!(sink.len(), 5);
    assert_eq!(s.queue.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_ack_skips_without_reading() {
    let s = setup_with_unknown();
    let sink = MemorySink::new();
    let report = run_report(&pipeline(&s, Unmatched::Ack, &sink)).await;
    assert!(report.is_complete(), "{}", report.status);
    assert_eq!(sink.len(), 5);
    assert!(s.dead.items().is_empty());
    assert_eq!(report.stats.objects_unmatched_skipped, 1);
    assert_eq!(report.stats.messages_acknowledged, 4);
    assert!(s.queue.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_keep_leaves_the_message_on_the_queue() {
    let s = setup_with_unknown();
    let sink = MemorySink::new();
    let report = run_report(&pipeline(&s, Unmatched::Keep, &sink)).await;
    // Not a failure: the message is left for another consumer of the queue.
    assert!(report.is_complete(), "{}", report.status);
    assert_eq!(sink.len(), 5);
    assert!(s.dead.items().is_empty());
    assert_eq!(report.stats.objects_unmatched_kept, 1);
    assert_eq!(report.stats.messages_left_for_others, 1);
    assert_eq!(report.stats.messages_acknowledged, 3);
    assert_eq!(
        s.queue.len(),
        1,
        "the unknown key's message is still queued"
    );
}
