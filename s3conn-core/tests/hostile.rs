//! The hostile-input suite (issue 5), end to end: a notification on a `MemoryQueue`, the object in
//! a `MemoryObjectStore`, the whole pipeline, and the exact disposition in the `MemorySink`, the
//! `MemoryDeadLetterSink`, the queue and the counters. Every good record is delivered in order; every
//! bad one is dead-lettered with a reason that names the limit or the defect; nothing else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::io::Read;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::{drain_config, run, Setup};
use s3conn_core::decode::{DecoderConfig, Limits};
use s3conn_core::notification::s3_event_body;
use s3conn_core::sink::{DeadLetterKind, MemorySink};
use s3conn_core::testing::{gzip, gzip_level};
use s3conn_core::{DeadLetter, PipelineConfig, Record, StatsSnapshot};

const MIB: u64 = 1 << 20;

/// One NDJSON record named `n`.
fn rec(n: &str) -> String {
    format!("{{\"n\":\"{n}\"}}")
}

/// Records named `names`, one per line.
fn ndjson(names: &[&str]) -> Vec<u8> {
    names
        .iter()
        .flat_map(|n| format!("{}\n", rec(n)).into_bytes())
        .collect()
}

/// The event names of the records delivered from `key`, in delivery order.
fn delivered(sink: &MemorySink, key: &str) -> Vec<String> {
    sink.records()
        .iter()
        .filter(|r| r.context.object.key == key)
        .map(|r| {
            r.fields
                .event_name
                .as_deref()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// What `delivered` returns for records named `names`.
fn named(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("\"{n}\"")).collect()
}

/// The only dead letter about `key`.
fn only_dead_letter(s: &Setup, key: &str) -> DeadLetter {
    let items: Vec<DeadLetter> = s
        .dead
        .items()
        .into_iter()
        .filter(|d| d.object.as_ref().is_some_and(|o| o.key == key))
        .collect();
    assert_eq!(items.len(), 1, "{items:#?}");
    items.into_iter().next().unwrap()
}

/// The one dead letter of `key`: a record's, with a reason starting with `reason_start`.
fn record_dead_letter(s: &Setup, key: &str, reason_start: &str) -> DeadLetter {
    let dead = only_dead_letter(s, key);
    assert_eq!(dead.kind, DeadLetterKind::Record);
    assert!(dead.reason.starts_with(reason_start), "{}", dead.reason);
    dead
}

/// Decoder limits under test; messages failing permanently are dead-lettered at once.
fn dead_lettering(limits: Limits) -> PipelineConfig {
    PipelineConfig {
        decoder: DecoderConfig {
            limits,
            ..DecoderConfig::default()
        },
        max_receive_count: Some(1),
        ..drain_config()
    }
}

fn setup() -> Setup {
    Setup::new()
}

/// Runs a pipeline over everything queued in `s`.
async fn run_all(s: &Setup, config: PipelineConfig) -> (MemorySink, StatsSnapshot) {
    let sink = MemorySink::new();
    let stats = run(&s.pipeline(Arc::new(sink.clone()), config)).await;
    (sink, stats)
}

/// Asserts that the object was given up on as a whole: one object dead letter naming it and
/// `cause`, then the message acknowledged. Returns the reason.
fn assert_object_given_up(s: &Setup, stats: &StatsSnapshot, key: &str, cause: &str) -> String {
    let objects: Vec<DeadLetter> = s
        .dead
        .items()
        .into_iter()
        .filter(|d| d.kind == DeadLetterKind::Object)
        .collect();
    assert_eq!(objects.len(), 1, "{objects:#?}");
    let dead = &objects[0];
    assert_eq!(dead.object.as_ref().unwrap().key, key);
    assert!(
        dead.reason.contains(cause) && dead.reason.contains(key),
        "{}",
        dead.reason
    );
    assert!(dead.message_id.is_some());
    assert_eq!(stats.objects_undecodable, 1);
    assert_eq!(stats.objects_dead_lettered, 1);
    assert_eq!(stats.messages_acknowledged, 1);
    assert_eq!(stats.messages_kept, 0);
    assert!(s.queue.is_empty(), "acknowledged once dead-lettered");
    dead.reason.clone()
}

/// [`assert_object_given_up`], and nothing else dead-lettered.
fn assert_object_dead_lettered(s: &Setup, stats: &StatsSnapshot, key: &str, cause: &str) -> String {
    assert_eq!(s.dead.items().len(), 1, "{:#?}", s.dead.items());
    assert_eq!(stats.records_dead_lettered, 0);
    assert_object_given_up(s, stats, key, cause)
}

// ---------------------------------------------------------------------------------------------
// 1. Gzip bombs.

/// 64 MiB of one byte in one gzip member: 65 KB, a ratio over 1000:1. (The default level gives the
/// same size as the best one, six times faster.)
fn bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| gzip_level(&vec![0u8; 64 << 20], 6))
}

/// The numbers of "… (N bytes from M compressed)" in a ratio-limit reason.
fn ratio_numbers(reason: &str) -> (u64, u64) {
    let tail = &reason[reason.rfind('(').expect(reason) + 1..];
    let mut words = tail.split(' ');
    let produced = words.next().unwrap().parse().unwrap();
    let consumed = words.nth(2).unwrap().parse().unwrap();
    (produced, consumed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bomb_is_stopped_early_by_the_ratio_limit_after_the_records_before_it() {
    let s = setup();
    // A first gzip member of good records, then the bomb as a second member.
    let mut object = gzip(&ndjson(&["a", "b", "c"]));
    object.extend_from_slice(bomb());
    s.object("bomb.json.gz", object);
    let limits = Limits {
        ratio_check_after_bytes: MIB,
        ..Limits::default()
    };
    let (sink, stats) = run_all(&s, dead_lettering(limits)).await;
    assert_eq!(delivered(&sink, "bomb.json.gz"), named(&["a", "b", "c"]));
    assert_eq!(stats.records_delivered, 3);
    let reason = assert_object_dead_lettered(
        &s,
        &stats,
        "bomb.json.gz",
        "compression ratio exceeds the limit of 200:1",
    );
    // Stopped at the first read past the threshold with the ratio over the limit: what the decoder
    // produced (and so what its buffers can hold) is bounded by the ratio times the compressed
    // bytes read, plus one read, far from the 64 MiB of the bomb. (The zero bytes are one
    // unfinished line here, held up to `max_record_bytes`; so one read is up to 16 MiB.)
    let (produced, consumed) = ratio_numbers(&reason);
    assert!(produced > MIB && produced > 200 * consumed, "{reason}");
    assert!(
        produced <= 200 * consumed + 16 * MIB && produced < 32 * MIB,
        "read too far into the bomb: {reason}"
    );
    assert!(consumed <= bomb().len() as u64 + 100, "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bomb_with_the_ratio_limit_off_is_stopped_by_the_decompressed_size_limit() {
    let s = setup();
    s.object("bomb.json.gz", bomb().to_vec());
    let limits = Limits {
        max_compression_ratio: u64::MAX,
        max_decompressed_bytes: 8 * MIB,
        ratio_check_after_bytes: MIB,
        ..Limits::default()
    };
    let (sink, stats) = run_all(&s, dead_lettering(limits)).await;
    assert!(sink.is_empty());
    assert_eq!(stats.records_delivered, 0);
    assert_object_dead_lettered(
        &s,
        &stats,
        "bomb.json.gz",
        "decompressed size exceeds the limit of 8388608 bytes",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_limits_stop_a_one_gib_gzip_bomb_just_after_64_mib() {
    let s = setup();
    // Sixteen bomb members: 1 GiB from about 1 MiB.
    let object: Vec<u8> = (0..16).flat_map(|_| bomb().iter().copied()).collect();
    s.object("gib.json.gz", object);
    let (sink, stats) = run_all(&s, dead_lettering(Limits::default())).await;
    assert!(sink.is_empty());
    let reason = assert_object_dead_lettered(&s, &stats, "gib.json.gz", "compression ratio");
    let (produced, _) = ratio_numbers(&reason);
    assert!(
        produced > 64 * MIB && produced < 72 * MIB,
        "stopped at the default 64 MiB threshold, not after 1 GiB: {reason}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Record size.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_over_max_record_bytes_is_dead_lettered_naming_the_limit_and_the_rest_delivered() {
    let s = setup();
    let big = format!("{{\"n\":\"big\",\"pad\":\"{}\"}}", "x".repeat(5000));
    s.object(
        "lines.json",
        format!("{}\n{big}\n{}\n", rec("a"), rec("b")).into_bytes(),
    );
    s.object(
        "trail.json",
        format!("{{\"Records\":[{},\n{big},\n{}]}}", rec("c"), rec("d")).into_bytes(),
    );
    let limits = Limits {
        max_record_bytes: 1000,
        ..Limits::default()
    };
    let (sink, stats) = run_all(&s, dead_lettering(limits)).await;
    assert_eq!(delivered(&sink, "lines.json"), named(&["a", "b"]));
    assert_eq!(delivered(&sink, "trail.json"), named(&["c", "d"]));
    for (key, line) in [("lines.json", 2), ("trail.json", 2)] {
        let dead = record_dead_letter(
            &s,
            key,
            "record exceeds the limit of 1000 bytes (line 2, byte",
        );
        assert!(
            dead.reason.contains(&format!("of s3://bucket/{key}")),
            "{}",
            dead.reason
        );
        assert_eq!(dead.line, Some(line));
        assert_eq!(dead.ordinal, Some(1));
        assert_eq!(
            dead.raw,
            big.as_bytes(),
            "the record's bytes, and only them"
        );
    }
    assert_eq!(stats.records_delivered, 4);
    assert_eq!(stats.records_dead_lettered, 2);
    assert_eq!(stats.objects_processed, 2);
    assert_eq!(stats.objects_undecodable, 0);
    assert_eq!(stats.messages_acknowledged, 2);
    assert!(s.queue.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eight_mib_record_is_delivered_whole_byte_for_byte_with_default_limits() {
    let s = setup();
    let big = format!("{{\"n\":\"big\",\"blob\":\"{}\"}}", "y".repeat(8 << 20));
    s.object(
        "big.json.gz",
        gzip(format!("{}\n{big}\n{}\n", rec("a"), rec("b")).as_bytes()),
    );
    s.object(
        "big-trail.json",
        format!("{{\"Records\":[{},{big},{}]}}", rec("c"), rec("d")).into_bytes(),
    );
    let (sink, stats) = run_all(&s, drain_config()).await;
    assert!(s.dead.items().is_empty());
    assert_eq!(delivered(&sink, "big.json.gz"), named(&["a", "big", "b"]));
    assert_eq!(
        delivered(&sink, "big-trail.json"),
        named(&["c", "big", "d"])
    );
    let bigs: Vec<Record> = sink
        .records()
        .into_iter()
        .filter(|r| r.fields.event_name.as_deref() == Some("\"big\""))
        .collect();
    assert_eq!(bigs.len(), 2);
    for r in &bigs {
        // Not assert_eq: a failure would print 16 MiB.
        assert!(
            r.event.get() == big,
            "the 8 MiB record of {} changed",
            r.context.object
        );
    }
    assert_eq!(stats.records_delivered, 6);
    assert_eq!(stats.records_dead_lettered, 0);
    assert_eq!(stats.messages_acknowledged, 2);
}

// ---------------------------------------------------------------------------------------------
// 3. Nesting depth.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nesting_100000_deep_is_dead_lettered_in_a_line_and_in_a_records_list_without_stack_overflow(
) {
    let s = setup();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    s.object(
        "deep.json",
        format!("{}\n{deep}\n{}\n", rec("a"), rec("b")).into_bytes(),
    );
    s.object(
        "deep-trail.json",
        format!("{{\"Records\":[{},{deep},{}]}}", rec("c"), rec("d")).into_bytes(),
    );
    let (sink, stats) = run_all(&s, dead_lettering(Limits::default())).await;
    assert_eq!(delivered(&sink, "deep.json"), named(&["a", "b"]));
    assert_eq!(delivered(&sink, "deep-trail.json"), named(&["c", "d"]));
    for (key, line) in [("deep.json", 2), ("deep-trail.json", 1)] {
        let dead = record_dead_letter(&s, key, "record nests deeper than the limit of 100 levels");
        assert_eq!(dead.line, Some(line));
        assert_eq!(dead.ordinal, Some(1));
        // A sample of the record (64 KiB by default), not the whole 200 KB.
        assert_eq!(dead.raw.len(), 64 << 10);
        assert!(dead.raw.iter().all(|&b| b == b'['));
    }
    assert_eq!(stats.records_delivered, 4);
    assert_eq!(stats.records_dead_lettered, 2);
    assert_eq!(stats.objects_processed, 2);
    assert_eq!(stats.messages_acknowledged, 2);
    assert!(s.queue.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nesting_depth_limit_is_configurable() {
    let s = setup();
    let at_limit = r#"{"n":"ok","x":[[1]]}"#;
    let over = r#"{"n":"deep","x":[[[1]]]}"#;
    s.object("lines.json", format!("{at_limit}\n{over}\n").into_bytes());
    s.object(
        "trail.json",
        format!("{{\"Records\":[{over},{at_limit}]}}").into_bytes(),
    );
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    let (sink, stats) = run_all(&s, dead_lettering(limits)).await;
    assert_eq!(delivered(&sink, "lines.json"), named(&["ok"]));
    assert_eq!(delivered(&sink, "trail.json"), named(&["ok"]));
    for key in ["lines.json", "trail.json"] {
        let dead = only_dead_letter(&s, key);
        assert!(
            dead.reason
                .starts_with("record nests deeper than the limit of 3 levels"),
            "{}",
            dead.reason
        );
        assert_eq!(dead.raw, over.as_bytes());
    }
    assert_eq!(stats.records_dead_lettered, 2);
    assert_eq!(stats.records_delivered, 2);
}

// ---------------------------------------------------------------------------------------------
// 4. Corrupt and truncated gzip.

fn numbered(from: usize, to: usize) -> Vec<String> {
    (from..to).map(|i| format!("r{i}")).collect()
}

fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// Two gzip members: records r0..r1000, then r1000..r2000 whose deflate stream has a flipped
/// block type (reserved type 3): the decompressor fails at the start of the second member.
fn corrupt_gzip() -> Vec<u8> {
    let mut object = gzip(&ndjson(&refs(&numbered(0, 1000))));
    let first = object.len();
    object.extend(gzip(&ndjson(&refs(&numbered(1000, 2000)))));
    // Byte 10 of a member (no optional header fields) starts the deflate stream: BFINAL is bit 0,
    // BTYPE bits 1-2.
    object[first + 10] |= 0b110;
    object
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_gzip_delivers_the_records_before_the_damage_once_and_dead_letters_the_object() {
    let s = setup();
    s.object("corrupt.json.gz", corrupt_gzip());
    let (sink, stats) = run_all(&s, dead_lettering(Limits::default())).await;
    assert_eq!(
        delivered(&sink, "corrupt.json.gz"),
        named(&refs(&numbered(0, 1000)))
    );
    // The reason names the defect and where it starts: right after the first member's bytes.
    let first_member_bytes = ndjson(&refs(&numbered(0, 1000))).len();
    assert_object_dead_lettered(
        &s,
        &stats,
        "corrupt.json.gz",
        &format!("corrupt gzip data at decompressed byte {first_member_bytes}:"),
    );
    assert_eq!(stats.records_delivered, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_gzip_is_kept_without_max_receive_count_then_dead_lettered_when_it_is_reached() {
    // Kept for a backoff of half to all of the visibility timeout: longer than the drain's wait.
    let s = Setup::new();
    s.object("corrupt.json.gz", corrupt_gzip());
    let mut config = drain_config();
    config.visibility_timeout = Duration::from_millis(600);
    let (sink, stats) = run_all(&s, config.clone()).await;
    assert_eq!(stats.messages_kept, 1);
    assert_eq!(stats.messages_acknowledged, 0);
    assert_eq!(stats.objects_undecodable, 1);
    assert_eq!(
        s.queue.len(),
        1,
        "never deleted without a dead-letter record"
    );
    assert!(s.dead.items().is_empty());
    let before = numbered(0, 1000);
    assert_eq!(delivered(&sink, "corrupt.json.gz"), named(&refs(&before)));
    // Redelivered (at-least-once): the records before the damage again, with the same ids; at
    // max_receive_count the object is dead-lettered and the message acknowledged.
    tokio::time::sleep(Duration::from_millis(700)).await;
    config.max_receive_count = Some(2);
    let (again, stats) = run_all(&s, config).await;
    assert_eq!(delivered(&again, "corrupt.json.gz"), named(&refs(&before)));
    let ids =
        |sink: &MemorySink| -> Vec<String> { sink.records().iter().map(Record::id).collect() };
    assert_eq!(ids(&sink), ids(&again), "stable ids to de-duplicate on");
    assert_object_dead_lettered(&s, &stats, "corrupt.json.gz", "corrupt gzip data");
}

/// The decompressed bytes a gzip reader gets out of `gz` before it fails, read 512 bytes at a time.
fn recoverable(gz: &[u8]) -> Vec<u8> {
    let mut d = flate2::read::MultiGzDecoder::new(gz);
    let (mut out, mut buf) = (Vec::new(), [0u8; 512]);
    while let Ok(n @ 1..) = d.read(&mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
    out
}

/// The N of "… at decompressed byte N: …".
fn failed_at(reason: &str) -> usize {
    let tail = &reason[reason.find("decompressed byte ").expect(reason) + 18..];
    tail[..tail.find(':').unwrap()].parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_flipped_mid_stream_accounts_for_every_line_and_dead_letters_the_object() {
    let s = setup();
    let names = numbered(0, 50_000);
    let text = ndjson(&refs(&names));
    let mut object = gzip(&text);
    let mid = object.len() / 2;
    for b in &mut object[mid..mid + 16] {
        *b ^= 0x5a;
    }
    // These flips decode to wrong bytes for a while (only the CRC at the member's end is sure to
    // catch them); the records before the first wrong byte are intact. Wrong lines that are not
    // JSON are dead-lettered; wrong ones that still parse are delivered, since the CRC comes after
    // them (streaming cannot wait for it); the object's dead letter then says it was corrupt.
    let recovered = recoverable(&object);
    let intact = text
        .iter()
        .zip(&recovered)
        .take_while(|(a, b)| a == b)
        .count();
    assert!(intact > 0 && intact < text.len());
    s.object("flipped.json.gz", object);
    let (sink, stats) = run_all(&s, dead_lettering(Limits::default())).await;
    let reason = assert_object_given_up(&s, &stats, "flipped.json.gz", "corrupt gzip data");
    let got = delivered(&sink, "flipped.json.gz");
    // Every record before the damage was delivered, in order, once.
    let before = text[..intact].iter().filter(|&&b| b == b'\n').count();
    assert_eq!(got[..before], named(&refs(&names[..before])));
    let ids: HashSet<String> = sink.records().iter().map(Record::id).collect();
    assert_eq!(ids.len(), got.len());
    // Every line the decoder was handed before the failure it reports is a delivered record or a
    // dead-lettered one: nothing in between is skipped.
    let offset = failed_at(&reason);
    assert!(offset <= recovered.len(), "{reason}");
    let handed = &recovered[..offset];
    let lines = handed
        .split(|&b| b == b'\n')
        .take(handed.iter().filter(|&&b| b == b'\n').count())
        .filter(|l| !l.trim_ascii().is_empty())
        .count() as u64;
    assert_eq!(stats.records_delivered + stats.records_dead_lettered, lines);
    assert_eq!(stats.records_delivered, got.len() as u64);
    let dead_records = s
        .dead
        .items()
        .iter()
        .filter(|d| d.kind == DeadLetterKind::Record)
        .inspect(|d| assert!(d.reason.starts_with("invalid JSON"), "{}", d.reason))
        .count();
    assert_eq!(dead_records as u64, stats.records_dead_lettered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_gzip_delivers_exactly_the_complete_records_before_the_cut_and_dead_letters_the_object(
) {
    let s = setup();
    let names = numbered(0, 5000);
    let full = gzip(&ndjson(&refs(&names)));
    let cut = full[..full.len() / 2].to_vec();
    // What a decompressor can recover from the cut bytes: its complete lines are the records.
    let recovered = recoverable(&cut);
    let complete = recovered.iter().filter(|&&b| b == b'\n').count();
    assert!(complete > 0 && complete < names.len());
    s.object("cut.json.gz", cut);
    let (sink, stats) = run_all(&s, dead_lettering(Limits::default())).await;
    assert_eq!(
        delivered(&sink, "cut.json.gz"),
        named(&refs(&names[..complete]))
    );
    let reason = assert_object_dead_lettered(&s, &stats, "cut.json.gz", "corrupt gzip data");
    assert!(reason.contains("truncated"), "{reason}");
    assert_eq!(
        failed_at(&reason),
        recovered.len(),
        "every recoverable byte was read"
    );
    assert_eq!(stats.records_delivered, complete as u64);
}

// ---------------------------------------------------------------------------------------------
// 5. Invalid UTF-8.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_a_string_dead_letters_that_record_with_its_raw_bytes_and_delivers_the_rest(
) {
    let s = setup();
    let bad = b"{\"n\":\"b\xff\xfe\"}";
    let mut lines = ndjson(&["a"]);
    lines.extend_from_slice(bad);
    lines.push(b'\n');
    lines.extend(ndjson(&["c"]));
    s.object("lines.json", lines);
    let mut trail = format!("{{\"Records\":[\n{},\n", rec("d")).into_bytes();
    trail.extend_from_slice(bad);
    trail.extend_from_slice(format!(",\n{}\n]}}", rec("e")).as_bytes());
    s.object("trail.json", trail);
    let (sink, stats) = run_all(&s, dead_lettering(Limits::default())).await;
    assert_eq!(delivered(&sink, "lines.json"), named(&["a", "c"]));
    assert_eq!(delivered(&sink, "trail.json"), named(&["d", "e"]));
    for (key, line) in [("lines.json", 2), ("trail.json", 3)] {
        let dead = record_dead_letter(&s, key, "invalid JSON");
        assert!(dead.reason.contains("UTF-8"), "{}", dead.reason);
        assert_eq!(dead.line, Some(line));
        assert_eq!(dead.raw, bad, "the raw bytes, invalid UTF-8 included");
    }
    assert_eq!(stats.records_delivered, 4);
    assert_eq!(stats.records_dead_lettered, 2);
    assert_eq!(stats.messages_acknowledged, 2);
}

// ---------------------------------------------------------------------------------------------
// 6. Byte-order marks, CRLF, empty and blank objects.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf8_bom_and_crlf_are_accepted_plain_gzip_and_in_a_records_document() {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let s = setup();
    let crlf = |names: &[&str]| -> Vec<u8> {
        let mut v = BOM.to_vec();
        for n in names {
            v.extend_from_slice(format!("{}\r\n", rec(n)).as_bytes());
        }
        v
    };
    s.object("bom.json", crlf(&["a", "b"]));
    s.object("bom.json.gz", gzip(&crlf(&["c", "d"])));
    let mut doc = BOM.to_vec();
    doc.extend_from_slice(
        format!(
            "{{\r\n  \"Records\": [\r\n    {},\r\n    {}\r\n  ]\r\n}}\r\n",
            rec("e"),
            rec("f")
        )
        .as_bytes(),
    );
    s.object("bom-trail.json", doc);
    s.object(
        "crlf.json",
        format!("{}\r\n{}", rec("g"), rec("h")).into_bytes(),
    );
    let (sink, stats) = run_all(&s, dead_lettering(Limits::default())).await;
    assert!(s.dead.items().is_empty(), "{:#?}", s.dead.items());
    for (key, names) in [
        ("bom.json", ["a", "b"]),
        ("bom.json.gz", ["c", "d"]),
        ("bom-trail.json", ["e", "f"]),
        ("crlf.json", ["g", "h"]),
    ] {
        assert_eq!(delivered(&sink, key), named(&names), "{key}");
    }
    // The events are exactly the JSON text: no BOM, no carriage return.
    for r in sink.records() {
        let name = r.fields.event_name.as_deref().map(str::to_owned).unwrap();
        assert_eq!(r.event.get(), format!("{{\"n\":{name}}}"));
    }
    assert_eq!(stats.records_delivered, 8);
    assert_eq!(stats.objects_processed, 4);
    assert_eq!(stats.messages_acknowledged, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_whitespace_and_blank_line_objects_are_acknowledged_and_counted_without_dead_letters()
{
    let s = setup();
    // Size 0 in the notification: never fetched.
    s.object("empty.json", Vec::new());
    // An empty object whose notification has no size (other notification shapes): fetched.
    s.store.put("bucket", "unsized.json", Vec::new());
    let mut body: serde_json::Value =
        serde_json::from_str(&s3_event_body("bucket", "unsized.json", 0, None)).unwrap();
    body["Records"][0]["s3"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("size");
    s.queue.send(body.to_string());
    s.object("spaces.json", b"  \t \r\n   \n\t".to_vec());
    s.object("blank-lines.json", b"\n\n\r\n\n\n".to_vec());
    s.object("bom-only.json", b"\xEF\xBB\xBF\r\n".to_vec());
    s.object("blank.json.gz", gzip(b"\n \n\r\n"));
    let (sink, stats) = run_all(&s, dead_lettering(Limits::default())).await;
    assert!(sink.is_empty());
    assert!(s.dead.items().is_empty(), "{:#?}", s.dead.items());
    assert!(s.queue.is_empty());
    assert_eq!(stats.messages_acknowledged, 6);
    assert_eq!(stats.ignored_empty_objects, 1);
    assert_eq!(stats.objects_processed, 5);
    assert_eq!(s.store.gets(), 5);
    assert_eq!(stats.records_delivered, 0);
    assert_eq!(stats.records_dead_lettered, 0);
    assert_eq!(stats.objects_undecodable, 0);
}
