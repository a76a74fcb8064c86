//! The rule of `auto` framing, checked over generated documents (issue 10):
//! - an object that is one valid JSON document, whatever its layout (compact, indented, one
//!   element per line with leading or trailing commas, CRLF, a byte-order mark), plain or gzip,
//!   gives exactly the items of `single`;
//! - newline-delimited JSON gives exactly the items of `lines`;
//! - newline-delimited JSON with one broken line still delivers every good line, and dead-letters
//!   the broken one only.

#![allow(clippy::unwrap_used)]

mod common;

use std::ops::ControlFlow;

use common::FnSource;
use proptest::prelude::*;
use s3conn_core::decode::{Decoder, DecoderConfig, Framing, Item, JsonDecoder};
use s3conn_core::process::process_object_bytes;
use s3conn_core::source::SourceInfo;
use s3conn_core::testing::{gzip, Trickle};
use s3conn_core::{Normalized, ObjectContext, ObjectRef};
use serde_json::{Map, Value};

/// One decoded item, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Event {
        json: String,
        list: Option<String>,
        line: u64,
        offset: u64,
    },
    Bad {
        reason: String,
        line: u64,
        offset: u64,
        sample: Vec<u8>,
    },
}

fn decode(framing: Framing, expand: &[String], data: &[u8], step: usize) -> Vec<Out> {
    let decoder = JsonDecoder::new(&DecoderConfig {
        framing,
        ..DecoderConfig::default()
    });
    let mut out = Vec::new();
    decoder
        .decode(Box::new(Trickle::new(data, step)), expand, &mut |item| {
            out.push(match item {
                Item::Event {
                    raw,
                    list,
                    line,
                    offset,
                    ..
                } => Out::Event {
                    json: raw.to_owned(),
                    list: list.map(str::to_owned),
                    line,
                    offset,
                },
                Item::Bad {
                    sample,
                    line,
                    offset,
                    reason,
                } => Out::Bad {
                    reason: reason.to_string(),
                    line,
                    offset,
                    sample: sample.to_vec(),
                },
            });
            ControlFlow::Continue(())
        })
        .unwrap();
    out
}

fn records() -> Vec<String> {
    vec!["Records".to_owned()]
}

/// The events' values and list names.
fn events(out: &[Out]) -> Vec<(Value, Option<String>)> {
    out.iter()
        .filter_map(|o| match o {
            Out::Event { json, list, .. } => {
                Some((serde_json::from_str(json).unwrap(), list.clone()))
            }
            Out::Bad { .. } => None,
        })
        .collect()
}

fn bad_lines(out: &[Out]) -> Vec<u64> {
    out.iter()
        .filter_map(|o| match o {
            Out::Bad { line, .. } => Some(*line),
            Out::Event { .. } => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Generated documents.

/// Strings with what framing must not trip over: quotes, backslashes, brackets, commas, line
/// breaks (escaped when printed), a byte-order mark character and any other character.
fn text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => proptest::sample::select(vec!['"', '\\', '{', '}', '[', ']', ',', ':', '\n', '\r', ' ', 'é', '\u{feff}']),
        1 => any::<char>(),
    ];
    proptest::collection::vec(c, 0..10).prop_map(|v| v.into_iter().collect())
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-4000i32..4000).prop_map(|i| Value::from(f64::from(i) / 8.0)),
        text().prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(text(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with no top-level `Records` key.
fn object() -> impl Strategy<Value = Map<String, Value>> {
    proptest::collection::btree_map(text(), value(), 0..5).prop_map(|m| {
        m.into_iter()
            .filter(|(k, _)| k != "Records")
            .collect::<Map<_, _>>()
    })
}

/// Events: mostly objects, sometimes anything.
fn element() -> impl Strategy<Value = Value> {
    prop_oneof![3 => object().prop_map(Value::Object), 1 => value()]
}

/// The three shapes of a log object.
#[derive(Debug, Clone)]
enum Doc {
    /// One object: one event.
    Object(Map<String, Value>),
    /// `{"Records":[…]}` with other fields before or after the list.
    Records {
        before: Map<String, Value>,
        elements: Vec<Value>,
        after: Map<String, Value>,
    },
    /// A top-level array: its elements.
    Array(Vec<Value>),
}

fn doc() -> impl Strategy<Value = Doc> {
    let elements = || proptest::collection::vec(element(), 0..6);
    prop_oneof![
        object().prop_map(Doc::Object),
        (object(), elements(), object()).prop_map(|(before, elements, after)| {
            let after = after
                .into_iter()
                .filter(|(k, _)| !before.contains_key(k))
                .collect();
            Doc::Records {
                before,
                elements,
                after,
            }
        }),
        elements().prop_map(Doc::Array),
    ]
}

impl Doc {
    /// The events the document holds, with their list name.
    fn expected(&self) -> Vec<(Value, Option<String>)> {
        match self {
            Doc::Object(m) => vec![(Value::Object(m.clone()), None)],
            Doc::Records { elements, .. } => elements
                .iter()
                .map(|e| (e.clone(), Some("Records".to_owned())))
                .collect(),
            Doc::Array(elements) => elements.iter().map(|e| (e.clone(), None)).collect(),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Doc::Object(m) => Value::Object(m.clone()),
            Doc::Records {
                before,
                elements,
                after,
            } => {
                let mut m = before.clone();
                m.insert("Records".into(), Value::Array(elements.clone()));
                m.extend(after.clone());
                Value::Object(m)
            }
            Doc::Array(elements) => Value::Array(elements.clone()),
        }
    }

    /// The document printed in a style (line breaks are `\n`).
    fn print(&self, style: Style) -> String {
        let compact = |v: &Value| serde_json::to_string(v).unwrap();
        let fields = |m: &Map<String, Value>| -> Vec<String> {
            m.iter()
                .map(|(k, v)| format!("{}:{}", compact(&Value::String(k.clone())), compact(v)))
                .collect()
        };
        match style {
            Style::Compact => compact(&self.to_value()),
            Style::Indented => serde_json::to_string_pretty(&self.to_value()).unwrap(),
            Style::LeadingCommas | Style::TrailingCommas | Style::OpeningLine => {
                let sep = match style {
                    Style::LeadingCommas => "\n,",
                    Style::TrailingCommas => ",\n",
                    _ => "\n, ",
                };
                let open = if style == Style::OpeningLine {
                    ""
                } else {
                    "\n"
                };
                let list = |items: Vec<String>, o: &str, c: &str| {
                    format!("{o}{open}{}\n{c}", items.join(sep))
                };
                match self {
                    Doc::Object(m) => list(fields(m), "{", "}"),
                    Doc::Array(elements) => list(elements.iter().map(compact).collect(), "[", "]"),
                    Doc::Records {
                        before,
                        elements,
                        after,
                    } => {
                        let mut out = String::from("{");
                        for f in fields(before) {
                            out.push_str(&f);
                            out.push(',');
                        }
                        out.push_str("\"Records\":");
                        out.push_str(&list(elements.iter().map(compact).collect(), "[", "]"));
                        for f in fields(after) {
                            out.push_str("\n,");
                            out.push_str(&f);
                        }
                        out.push_str("\n}");
                        out
                    }
                }
            }
        }
    }
}

/// How a document is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// One line.
    Compact,
    /// `serde_json`'s pretty printer.
    Indented,
    /// One element per line, commas leading.
    LeadingCommas,
    /// One element per line, commas trailing.
    TrailingCommas,
    /// The first element on the opening line, the others on lines of their own, commas leading.
    OpeningLine,
}

/// The bytes around the printed text.
#[derive(Debug, Clone, Copy)]
struct Wrapping {
    crlf: bool,
    bom: bool,
    blank_lines_before: bool,
    newline_after: bool,
    gzip: bool,
    step: usize,
}

fn style() -> impl Strategy<Value = Style> {
    proptest::sample::select(vec![
        Style::Compact,
        Style::Indented,
        Style::LeadingCommas,
        Style::TrailingCommas,
        Style::OpeningLine,
    ])
}

fn wrapping() -> impl Strategy<Value = Wrapping> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        proptest::sample::select(vec![1usize, 3, 64, 4096, usize::MAX]),
    )
        .prop_map(
            |(crlf, bom, blank_lines_before, newline_after, gzip, step)| Wrapping {
                crlf,
                bom,
                blank_lines_before,
                newline_after,
                gzip,
                step,
            },
        )
}

impl Wrapping {
    /// The object's decompressed bytes, and its bytes as stored.
    fn wrap(&self, text: &str) -> (Vec<u8>, Vec<u8>) {
        let mut s = String::new();
        if self.blank_lines_before {
            s.push_str("\n  \n");
        }
        s.push_str(text);
        if self.newline_after {
            s.push('\n');
        }
        if self.crlf {
            // JSON strings hold no raw line break: every `\n` is between tokens.
            s = s.replace('\n', "\r\n");
        }
        let mut plain = Vec::new();
        if self.bom {
            plain.extend_from_slice(b"\xEF\xBB\xBF");
        }
        plain.extend_from_slice(s.as_bytes());
        let stored = if self.gzip {
            gzip(&plain)
        } else {
            plain.clone()
        };
        (plain, stored)
    }
}

/// A line that is not JSON, or not a value by itself.
fn broken_line() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "{\"broken\":",
        "[1,2",
        "not json",
        "{\"a\":1,}",
        "}",
        "]",
        "{\"a\" 1}",
        "\"unterminated",
        "{\"a\":1} {\"b\":2}",
        ",{\"a\":1}",
        "{\"Records\":[",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// A valid document, however printed: `auto` is `single`, and `single` finds its events.
    #[test]
    fn a_document_in_any_layout_reads_as_single(doc in doc(), style in style(), wrapping in wrapping()) {
        let (plain, stored) = wrapping.wrap(&doc.print(style));
        let bare = plain.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&plain);
        prop_assert!(serde_json::from_slice::<Value>(bare).is_ok(), "{}", String::from_utf8_lossy(bare));
        let single = decode(Framing::Single, &records(), &plain, usize::MAX);
        prop_assert!(bad_lines(&single).is_empty(), "{single:?}");
        prop_assert_eq!(events(&single), doc.expected());
        let auto = decode(Framing::Auto, &records(), &stored, wrapping.step);
        prop_assert_eq!(auto, single);
    }

    /// Newline-delimited documents: `auto` is `lines`.
    #[test]
    fn ndjson_reads_as_lines(docs in proptest::collection::vec(doc(), 1..8), wrapping in wrapping()) {
        let text: Vec<String> = docs.iter().map(|d| d.print(Style::Compact)).collect();
        let (plain, stored) = wrapping.wrap(&text.join("\n"));
        let lines = decode(Framing::Lines, &records(), &plain, usize::MAX);
        prop_assert!(bad_lines(&lines).is_empty(), "{lines:?}");
        let expected: Vec<_> = docs.iter().flat_map(Doc::expected).collect();
        prop_assert_eq!(events(&lines), expected);
        let auto = decode(Framing::Auto, &records(), &stored, wrapping.step);
        prop_assert_eq!(auto, lines);
    }

    /// Newline-delimited documents with one broken line anywhere (the first line included): every
    /// good line is delivered, the broken one is the only bad frame.
    #[test]
    fn a_broken_line_costs_that_line_only(
        docs in proptest::collection::vec(doc(), 1..6),
        broken in broken_line(),
        at in any::<proptest::sample::Index>(),
        wrapping in wrapping(),
    ) {
        let mut text: Vec<String> = docs.iter().map(|d| d.print(Style::Compact)).collect();
        let at = at.index(text.len() + 1);
        text.insert(at, broken.to_owned());
        let wrapping = Wrapping { blank_lines_before: false, ..wrapping };
        let (plain, stored) = wrapping.wrap(&text.join("\n"));
        let lines = decode(Framing::Lines, &records(), &plain, usize::MAX);
        prop_assert_eq!(bad_lines(&lines), vec![at as u64 + 1]);
        let expected: Vec<_> = docs.iter().flat_map(Doc::expected).collect();
        prop_assert_eq!(events(&lines), expected);
        let auto = decode(Framing::Auto, &records(), &stored, wrapping.step);
        prop_assert_eq!(auto, lines);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Documents larger than the 1 MiB that `auto` looks at before choosing.
    #[test]
    fn a_document_larger_than_the_detection_window_reads_as_single(
        elements in proptest::collection::vec(element(), 1..6),
        big_at in any::<proptest::sample::Index>(),
        style in style(),
        wrapping in wrapping(),
    ) {
        let mut elements = elements;
        let big = serde_json::json!({ "big": "b".repeat(1_200_000) });
        elements.insert(big_at.index(elements.len() + 1), big);
        let doc = Doc::Records { before: Map::new(), elements, after: Map::new() };
        let wrapping = Wrapping { step: wrapping.step.max(4096), ..wrapping };
        let (plain, stored) = wrapping.wrap(&doc.print(style));
        let single = decode(Framing::Single, &records(), &plain, usize::MAX);
        prop_assert_eq!(events(&single), doc.expected());
        let auto = decode(Framing::Auto, &records(), &stored, wrapping.step);
        prop_assert_eq!(auto, single);
    }
}

// ---------------------------------------------------------------------------------------------
// The reproductions of issue 10, through a source: every event becomes a record.

fn names(bytes: &[u8]) -> (Vec<Option<String>>, usize) {
    let source = FnSource::shared(
        SourceInfo::new("names", "Names", "Syslog", "names", "test"),
        &["Records"],
        |event| Normalized {
            event_name: event
                .value()
                .get("eventName")
                .and_then(Value::as_str)
                .map(Into::into),
            ..Normalized::default()
        },
    );
    let context = ObjectContext::new(ObjectRef::new("bucket", "key"), None, None, Some(0));
    let out = process_object_bytes(&source, &DecoderConfig::default(), context, bytes);
    let names = out
        .records
        .iter()
        .map(|r| r.fields.event_name.as_deref().map(str::to_owned))
        .collect();
    (names, out.dead_letters.len())
}

#[test]
fn an_array_one_element_per_line_gives_its_records_and_no_dead_letter() {
    let (names, dead) = names(b"[\n{\"eventName\":\"a\"}\n]\n");
    assert_eq!(names, vec![Some("a".to_owned())]);
    assert_eq!(dead, 0);
}

#[test]
fn a_records_list_with_leading_commas_gives_every_record() {
    let doc = b"{\"Records\":[\n{\"eventName\":\"X\"}\n,{\"eventName\":\"Y\"}\n]}";
    for data in [doc.to_vec(), gzip(doc)] {
        let (names, dead) = names(&data);
        assert_eq!(names, vec![Some("X".to_owned()), Some("Y".to_owned())]);
        assert_eq!(dead, 0);
    }
}
