//! Text objects end to end (issue 14): a source with a text format on the memory backends; its
//! records reach the sink as JSON events with named fields, bad lines are dead-lettered with
//! their line and offset, and objects without their header or holding binary data are
//! dead-lettered whole.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{drain_config, run, Setup};
use s3conn_core::decode::text::{Field, TextFormat};
use s3conn_core::process::process_object_bytes;
use s3conn_core::sink::{DeadLetterKind, MemorySink};
use s3conn_core::source::{Event, LogSource, SourceInfo};
use s3conn_core::testing::gzip;
use s3conn_core::{Normalized, ObjectContext, ObjectRef, Pipeline, PipelineConfig};
use serde::Deserialize;

/// A minimal VPC Flow Logs source: the time is `end` (epoch seconds), the event the action.
#[derive(Debug)]
struct Flow {
    info: Arc<SourceInfo>,
    format: TextFormat,
}

#[derive(Deserialize)]
struct View {
    end: Option<i64>,
    action: Option<String>,
    srcaddr: Option<String>,
}

impl LogSource for Flow {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.info
    }

    fn text_format(&self) -> Option<&TextFormat> {
        Some(&self.format)
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        match event.parse::<View>() {
            Ok(v) => Normalized {
                timestamp_ms: v.end.map(|s| s * 1000),
                event_name: v.action.map(Into::into),
                src_ip: v.srcaddr.map(Into::into),
                ..Normalized::default()
            },
            Err(e) => Normalized {
                fallback_reason: Some(e.to_string().into()),
                ..Normalized::default()
            },
        }
    }
}

fn flow() -> Arc<dyn LogSource> {
    Arc::new(Flow {
        info: Arc::new(SourceInfo::new("flow", "Flow", "Syslog", "flow", "Test")),
        format: TextFormat::header_line("VPC Flow Logs", b' ', "VPC Flow Logs header line")
            .expect_any(&["version", "srcaddr"])
            .with_types(vec![Field::integer("version"), Field::integer("end")]),
    })
}

const HEADER: &str = "version srcaddr end action\n";

fn pipeline(s: &Setup, sink: &MemorySink) -> Pipeline {
    let config = PipelineConfig {
        max_receive_count: Some(1),
        ..drain_config()
    };
    Pipeline::builder(
        s.queue.clone(),
        s.store.clone(),
        flow(),
        Arc::new(sink.clone()),
    )
    .dead_letter(Arc::new(s.dead.clone()))
    .config(config)
    .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_records_are_delivered_and_bad_input_accounted_for() {
    let s = Setup::new();
    let good = format!("{HEADER}2 10.0.0.1 1418530070 ACCEPT\n2 10.0.0.2 1418530071 REJECT\n");
    s.object("good.log.gz", gzip(good.as_bytes()));
    let broken =
        format!("{HEADER}2 10.0.0.3 1418530072 ACCEPT\n2 10.0.0.4 oops\n2 - 1418530073 ACCEPT\n");
    s.object("broken.log", broken.clone().into_bytes());
    s.object("headless.log", b"2 10.0.0.5 1418530074 ACCEPT\n".to_vec());
    s.object(
        "junk.bin",
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8 | 0x80)
            .collect(),
    );
    let sink = MemorySink::new();
    let stats = run(&pipeline(&s, &sink)).await;

    let mut delivered: Vec<(String, String, i64, String)> = sink
        .records()
        .iter()
        .map(|r| {
            (
                r.context.object.key.clone(),
                r.fields
                    .event_name
                    .as_deref()
                    .unwrap_or_default()
                    .to_owned(),
                r.timestamp_ms,
                r.event.get().to_owned(),
            )
        })
        .collect();
    delivered.sort();
    assert_eq!(
        delivered,
        vec![
            (
                "broken.log".into(),
                "ACCEPT".into(),
                1418530072000,
                r#"{"version":2,"srcaddr":"10.0.0.3","end":1418530072,"action":"ACCEPT"}"#.into()
            ),
            (
                "broken.log".into(),
                "ACCEPT".into(),
                1418530073000,
                r#"{"version":2,"end":1418530073,"action":"ACCEPT"}"#.into()
            ),
            (
                "good.log.gz".into(),
                "ACCEPT".into(),
                1418530070000,
                r#"{"version":2,"srcaddr":"10.0.0.1","end":1418530070,"action":"ACCEPT"}"#.into()
            ),
            (
                "good.log.gz".into(),
                "REJECT".into(),
                1418530071000,
                r#"{"version":2,"srcaddr":"10.0.0.2","end":1418530071,"action":"REJECT"}"#.into()
            ),
        ]
    );
    let dead = s.dead.items();
    let record = dead
        .iter()
        .find(|d| d.kind == DeadLetterKind::Record)
        .expect("a bad line");
    assert_eq!(record.line, Some(3));
    assert_eq!(
        record.offset,
        Some(broken.find("2 10.0.0.4").unwrap() as u64)
    );
    assert!(
        record
            .reason
            .starts_with("wrong number of fields: expected 4, found 3 (line 3, byte"),
        "{}",
        record.reason
    );
    assert_eq!(record.raw, b"2 10.0.0.4 oops");
    let objects: Vec<_> = dead
        .iter()
        .filter(|d| d.kind == DeadLetterKind::Object)
        .collect();
    assert_eq!(objects.len(), 2, "{objects:#?}");
    let reason = |key: &str| {
        objects
            .iter()
            .find(|d| d.object.as_ref().unwrap().key == key)
            .map(|d| d.reason.clone())
            .unwrap()
    };
    assert!(
        reason("headless.log").contains("without its VPC Flow Logs header line"),
        "{}",
        reason("headless.log")
    );
    assert!(
        reason("junk.bin").contains("not text"),
        "{}",
        reason("junk.bin")
    );
    assert_eq!(stats.records_delivered, 4);
    assert_eq!(stats.records_dead_lettered, 1);
    assert_eq!(stats.objects_undecodable, 2);
    assert!(s.queue.is_empty());
}

#[test]
fn process_object_bytes_uses_the_sources_text_format() {
    let context = ObjectContext::new(ObjectRef::new("b", "k"), None, None, None);
    let data = format!("{HEADER}2 10.0.0.1 1418530070 ACCEPT\n");
    let out = process_object_bytes(&flow(), &Default::default(), context, data.as_bytes());
    out.result.expect("decodes");
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].fields.src_ip.as_deref(), Some("10.0.0.1"));
}
