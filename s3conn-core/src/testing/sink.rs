//! The contract suites of [`Sink`] and [`DeadLetterSink`]: what `Ok` promises, batches, retries.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::json::RawJson;
use crate::record::{Normalized, ObjectContext, Outcome, Record};
use crate::sink::{DeadLetter, DeadLetterKind, DeadLetterSink, Sink};
use crate::store::ObjectRef;
use crate::SourceInfo;

/// The sink [`sink_conformance`] delivers to, and how to read back what it stored.
#[async_trait]
pub trait SinkFixture: Send + Sync {
    /// The sink under test.
    fn sink(&self) -> &dyn Sink;

    /// Every record durably stored so far, each as its JSON ([`Record`]'s `Serialize` form, the
    /// line `NdjsonSink` writes), in any order.
    async fn delivered(&self) -> Vec<Value>;
}

/// The dead-letter destination [`dead_letter_conformance`] writes to, and how to read it back.
#[async_trait]
pub trait DeadLetterFixture: Send + Sync {
    /// The destination under test.
    fn sink(&self) -> &dyn DeadLetterSink;

    /// Every item durably stored so far, each as its JSON ([`DeadLetter`]'s `Serialize` form),
    /// in any order.
    async fn stored(&self) -> Vec<Value>;
}

/// `n` records of one object, as a source would produce them: unicode, escapes, nested and
/// pretty-printed events, every optional field on some of them. `tag` keeps ids apart.
pub fn sample_records(tag: &str, n: usize) -> Vec<Record> {
    let source = Arc::new(SourceInfo::new(
        "conformance",
        "Conformance",
        "Syslog",
        "test_log",
        "test",
    ));
    let mut object = ObjectRef::new("bucket", format!("conformance/{tag}.json"));
    object.etag = Some("0123456789abcdef".into());
    let context = Arc::new(ObjectContext::new(
        object,
        Some("tenant".into()),
        Some("connector".into()),
        Some(1_700_000_000_000),
    ));
    let events = [
        r#"{"n":0,"msg":"plain"}"#,
        r#"{"n":1,"user":"bob \"the builder\"","path":"C:\\dir\\f","tab":"\t"}"#,
        "{\"n\":2,\"text\":\"ünïcödé 日本語 😀\"}",
        "{\n  \"n\": 3,\n  \"nested\": {\"a\": [1, 2.5, null, true, {\"b\": []}]}\n}",
    ];
    (0..n)
        .map(|i| {
            let text = events[i % events.len()].replace("\"n\":", &format!("\"{tag}\":{i},\"n\":"));
            let with_fields = i % 2 == 1;
            Record {
                source: source.clone(),
                context: context.clone(),
                ordinal: i as u64,
                timestamp_ms: 1_700_000_000_000 + i as i64,
                fields: Normalized {
                    timestamp_ms: with_fields.then_some(1_700_000_000_000 + i as i64),
                    fallback_reason: (!with_fields).then(|| "no time field".into()),
                    event_name: with_fields.then(|| format!("Event{i}").into()),
                    event_type: with_fields.then(|| "type".into()),
                    user: with_fields.then(|| "bob \"the builder\"".into()),
                    src_ip: with_fields.then(|| "192.0.2.1".into()),
                    host: with_fields.then(|| "host-ü".into()),
                    outcome: with_fields.then_some(if i % 4 == 1 {
                        Outcome::Success
                    } else {
                        Outcome::Failure
                    }),
                },
                event: RawJson::new(&text).expect("sample events are valid JSON"),
            }
        })
        .collect()
}

/// `n` dead letters of every kind, with binary (non-UTF-8) raw bytes. `tag` keeps them apart.
pub fn sample_dead_letters(tag: &str, n: usize) -> Vec<DeadLetter> {
    (0..n)
        .map(|i| {
            let mut object = ObjectRef::new("bucket", format!("conformance/{tag}/{i}.gz"));
            object.version_id = (i % 2 == 0).then(|| format!("v{i}"));
            object.etag = Some(format!("etag-{i}"));
            object.size = Some(1000 + i as u64);
            let kind = [
                DeadLetterKind::Record,
                DeadLetterKind::Object,
                DeadLetterKind::Message,
            ][i % 3];
            DeadLetter {
                kind,
                reason: format!("{tag} reason {i}: \"quoted\" ü"),
                object: (kind != DeadLetterKind::Message).then_some(object),
                message_id: Some(format!("{tag}-message-{i}")),
                line: (kind == DeadLetterKind::Record).then_some(i as u64 + 1),
                offset: (kind == DeadLetterKind::Record).then_some(i as u64 * 100),
                ordinal: (kind == DeadLetterKind::Record).then_some(i as u64),
                raw: [&b"\xff\xfe\x00raw "[..], tag.as_bytes(), &[i as u8]].concat(),
            }
        })
        .collect()
}

/// How often each value occurs.
fn counts(values: &[Value]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for v in values {
        *out.entry(v.to_string()).or_insert(0) += 1;
    }
    out
}

fn to_values<T: serde::Serialize>(items: &[T]) -> Vec<Value> {
    items
        .iter()
        .map(|i| serde_json::to_value(i).expect("records and dead letters serialize"))
        .collect()
}

/// Asserts that `after` holds `before` plus exactly `added` (as multisets).
fn assert_added(before: &[Value], after: &[Value], added: &[Value], what: &str) {
    let mut want = counts(before);
    for v in added {
        *want.entry(v.to_string()).or_insert(0) += 1;
    }
    let got = counts(after);
    if got != want {
        let missing: Vec<_> = want
            .iter()
            .filter(|(k, n)| got.get(*k).copied().unwrap_or(0) < **n)
            .map(|(k, _)| k)
            .collect();
        let extra: Vec<_> = got
            .iter()
            .filter(|(k, n)| want.get(*k).copied().unwrap_or(0) < **n)
            .map(|(k, _)| k)
            .collect();
        panic!("{what}: stored content differs; missing {missing:?}, unexpected {extra:?}");
    }
}

/// Checks the `# Contract` of [`Sink`] on `fixture`'s sink; panics on the first breach.
///
/// An empty batch is `Ok` and stores nothing; once `deliver` returns `Ok`, every record of the
/// batch is readable, intact (escapes, unicode, pretty-printed events); a batch offered again is
/// `Ok` and adds no record that was not in it (stored twice, or de-duplicated by id); concurrent
/// batches, one of them as large as the pipeline's (1000 records), all arrive.
pub async fn sink_conformance<F: SinkFixture>(fixture: &F) {
    let sink = fixture.sink();
    let before = fixture.delivered().await;
    sink.deliver(&[]).await.expect("an empty batch is Ok");
    assert_added(&before, &fixture.delivered().await, &[], "empty batch");

    let batch = sample_records("single", 8);
    let before = fixture.delivered().await;
    sink.deliver(&batch).await.expect("deliver a batch");
    let after = fixture.delivered().await;
    assert_added(&before, &after, &to_values(&batch), "one batch");

    // Offered again (as after a failure the pipeline retries): Ok, and nothing but these records.
    sink.deliver(&batch)
        .await
        .expect("deliver the same batch again");
    let again = fixture.delivered().await;
    let allowed = counts(&to_values(&batch));
    let grown = counts(&again);
    for (value, n) in &grown {
        let had = counts(&after).get(value).copied().unwrap_or(0);
        assert!(
            *n == had || allowed.contains_key(value),
            "a batch offered again stored a record not in it: {value}"
        );
    }
    for value in allowed.keys() {
        assert!(grown.contains_key(value), "offered again, lost {value}");
    }

    // Concurrent deliveries.
    let batches: Vec<Vec<Record>> = (0..6)
        .map(|b| sample_records(&format!("concurrent{b}"), if b == 0 { 1000 } else { 20 }))
        .collect();
    let before = fixture.delivered().await;
    let results = futures::future::join_all(batches.iter().map(|b| sink.deliver(b))).await;
    for r in results {
        r.expect("concurrent deliveries succeed");
    }
    let added: Vec<Value> = batches.iter().flat_map(|b| to_values(b)).collect();
    assert_added(
        &before,
        &fixture.delivered().await,
        &added,
        "concurrent batches",
    );
}

/// Checks the `# Contract` of [`DeadLetterSink`] on `fixture`'s destination; panics on the
/// first breach.
///
/// An empty call is `Ok` and stores nothing; once `dead_letter` returns `Ok`, every item is
/// readable with its kind, reason, object, position and raw bytes (binary included); concurrent
/// calls all arrive.
pub async fn dead_letter_conformance<F: DeadLetterFixture>(fixture: &F) {
    let sink = fixture.sink();
    let before = fixture.stored().await;
    sink.dead_letter(&[]).await.expect("an empty call is Ok");
    assert_added(&before, &fixture.stored().await, &[], "no items");

    let items = sample_dead_letters("single", 6);
    let before = fixture.stored().await;
    sink.dead_letter(&items).await.expect("store dead letters");
    assert_added(
        &before,
        &fixture.stored().await,
        &to_values(&items),
        "dead letters",
    );

    let batches: Vec<Vec<DeadLetter>> = (0..4)
        .map(|b| sample_dead_letters(&format!("concurrent{b}"), 10))
        .collect();
    let before = fixture.stored().await;
    let results = futures::future::join_all(batches.iter().map(|b| sink.dead_letter(b))).await;
    for r in results {
        r.expect("concurrent calls succeed");
    }
    let added: Vec<Value> = batches.iter().flat_map(|b| to_values(b)).collect();
    assert_added(&before, &fixture.stored().await, &added, "concurrent calls");
}
