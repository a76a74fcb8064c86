//! Test harness: turns an object's bytes into records the way the connector does (the core's
//! decoder: decompress, frame, expand; then the source's normalize).

#![allow(dead_code)]

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use s3conn_core::decode::{Decoder, DecoderConfig, Item, JsonDecoder};
use s3conn_core::{Event, KeyVerdict, LogSource, ObjectContext, ObjectRef, Record};
use serde_json::value::RawValue;

/// Fallback time given to every test object (2023-11-14T22:13:20Z).
pub const LAST_MODIFIED_MS: i64 = 1_700_000_000_000;

/// What one object turned into.
#[derive(Debug)]
pub enum Output {
    /// The source skipped the key.
    Skipped(&'static str),
    /// The records, in order.
    Records(Vec<Record>),
}

impl Output {
    /// The records (empty when skipped).
    pub fn records(&self) -> &[Record] {
        match self {
            Output::Skipped(_) => &[],
            Output::Records(r) => r,
        }
    }

    /// One line per record (or one `{"skipped":…}` line).
    pub fn to_ndjson(&self) -> String {
        match self {
            Output::Skipped(reason) => format!("{}\n", serde_json::json!({ "skipped": reason })),
            Output::Records(recs) => {
                let mut out = Vec::new();
                for r in recs {
                    r.write_ndjson(&mut out);
                }
                String::from_utf8(out).expect("records are UTF-8")
            }
        }
    }
}

/// Removes insignificant white space from JSON text (outside strings), so a pretty-printed event
/// serializes on one NDJSON line. Values, key order and escapes are kept byte for byte.
pub fn compact(raw: &RawValue) -> Box<RawValue> {
    let text = raw.get();
    if !text.contains(['\n', '\r']) {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let (mut in_str, mut escaped) = (false, false);
    for c in text.chars() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    RawValue::from_string(out).expect("compacted JSON stays valid")
}

/// Runs a source over one object, decoding it with the core's standard decoder.
///
/// Pretty-printed events are compacted first (see [`compact`]): the core keeps an event's bytes
/// as framed, and a record line must not contain raw newlines.
pub fn run(source: &Arc<dyn LogSource>, key: &str, bytes: &[u8]) -> Output {
    if let KeyVerdict::Skip(reason) = source.accept_key(key) {
        return Output::Skipped(reason);
    }
    let ctx = Arc::new(ObjectContext::new(
        ObjectRef::new("test-bucket", key),
        None,
        None,
        Some(LAST_MODIFIED_MS),
    ));
    let decoder = JsonDecoder::new(&DecoderConfig::default());
    let mut records = Vec::new();
    let mut on_item = |item: Item<'_>| {
        match item {
            Item::Event { raw, list, .. } => {
                let raw = compact(raw);
                let event = Event::new(&raw, &ctx, list);
                let fields = source.normalize(&event);
                let timestamp_ms = fields.timestamp_ms.unwrap_or(LAST_MODIFIED_MS);
                records.push(Record {
                    source: Arc::clone(source.info()),
                    context: Arc::clone(&ctx),
                    ordinal: records.len() as u64,
                    timestamp_ms,
                    fields,
                    event: raw,
                });
            }
            Item::Bad { reason, line, .. } => panic!("{key}: bad frame at line {line}: {reason}"),
        }
        ControlFlow::Continue(())
    };
    decoder
        .decode(Box::new(bytes), source.expand_fields(), &mut on_item)
        .unwrap_or_else(|e| panic!("{key}: decode failed: {e}"));
    Output::Records(records)
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The object key a file stands for: its path below `root`, with `/` separators.
pub fn key_of(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The crate's fixture folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// `shared/samples`, looked for two and one levels above the crate; `None` with a message when
/// absent.
pub fn samples_dir() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../../shared/samples"),
        manifest.join("../shared/samples"),
    ];
    for c in &candidates {
        if c.is_dir() {
            return Some(c.clone());
        }
    }
    eprintln!(
        "skipped: samples not found at {} or {}",
        candidates[0].display(),
        candidates[1].display()
    );
    None
}
