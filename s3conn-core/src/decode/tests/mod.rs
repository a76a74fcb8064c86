use std::io::{Read, Write};
use std::ops::ControlFlow;

use super::*;

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
        sample: String,
    },
}

/// A reader that hands out at most `step` bytes per read, to cross every buffer boundary.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn run_with(
    config: &DecoderConfig,
    expand: &[&str],
    data: &[u8],
    step: usize,
) -> (Result<DecodeSummary, DecodeError>, Vec<Out>) {
    let decoder = JsonDecoder::new(config);
    let expand: Vec<String> = expand.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let res = decoder.decode(Box::new(Trickle { data, step }), &expand, &mut |item| {
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
                sample: String::from_utf8_lossy(sample).into_owned(),
            },
        });
        ControlFlow::Continue(())
    });
    (res, out)
}

/// Decodes with big reads and with 1- and 7-byte reads; all must agree.
fn run(
    config: &DecoderConfig,
    expand: &[&str],
    data: &[u8],
) -> (Result<DecodeSummary, DecodeError>, Vec<Out>) {
    let (res, out) = run_with(config, expand, data, usize::MAX);
    for step in [1, 7, 4093] {
        let (res2, out2) = run_with(config, expand, data, step);
        assert_eq!(out, out2, "different items with {step}-byte reads");
        assert_eq!(
            res.as_ref().err(),
            res2.as_ref().err(),
            "different outcome with {step}-byte reads"
        );
    }
    (res, out)
}

fn events(out: &[Out]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Out::Event { json, .. } => Some(json.clone()),
            Out::Bad { .. } => None,
        })
        .collect()
}

fn bads(out: &[Out]) -> Vec<(String, u64)> {
    out.iter()
        .filter_map(|o| match o {
            Out::Bad { reason, line, .. } => Some((reason.clone(), *line)),
            Out::Event { .. } => None,
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    gzip_level(data, flate2::Compression::fast())
}

fn gzip_level(data: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn auto() -> DecoderConfig {
    DecoderConfig::default()
}

fn framing(framing: Framing) -> DecoderConfig {
    DecoderConfig {
        framing,
        ..DecoderConfig::default()
    }
}

#[test]
fn ndjson_plain_and_gzip_and_zstd_agree() {
    let text = b"{\"a\":1}\n{\"b\":2}\r\n\n{\"c\":\"x y\"}\n";
    let expected = vec!["{\"a\":1}", "{\"b\":2}", "{\"c\":\"x y\"}"];
    let (res, out) = run(&auto(), &[], text);
    assert_eq!(events(&out), expected);
    assert_eq!(res.unwrap().detected, Detected::Text);
    let (res, out) = run(&auto(), &[], &gzip(text));
    assert_eq!(events(&out), expected);
    assert_eq!(res.unwrap().detected, Detected::Gzip);
    let z = zstd::encode_all(&text[..], 3).unwrap();
    let (res, out) = run(&auto(), &[], &z);
    assert_eq!(events(&out), expected);
    assert_eq!(res.unwrap().detected, Detected::Zstd);
}

#[test]
fn every_gzip_member_is_read() {
    let mut data = gzip(b"{\"a\":1}\n");
    data.extend(gzip(b"{\"b\":2}\n"));
    data.extend(gzip(b"{\"c\":3}\n"));
    let (res, out) = run(&auto(), &[], &data);
    assert_eq!(events(&out), vec!["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
    assert_eq!(res.unwrap().decompressed_bytes, 24);
}

#[test]
fn bytes_win_over_the_configured_file_type() {
    let config = DecoderConfig {
        file_type: FileType::Gzip,
        ..DecoderConfig::default()
    };
    let (res, out) = run(&config, &[], b"{\"a\":1}\n");
    assert_eq!(events(&out), vec!["{\"a\":1}"]);
    assert!(res.unwrap().mismatch);
    let config = DecoderConfig {
        file_type: FileType::Text,
        ..DecoderConfig::default()
    };
    let (res, out) = run(&config, &[], &gzip(b"{\"a\":1}\n"));
    assert_eq!(events(&out), vec!["{\"a\":1}"]);
    assert!(res.unwrap().mismatch);
}

#[test]
fn truncated_gzip_is_an_error_after_the_records_before_it() {
    let text: Vec<u8> = (0..2000)
        .flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
        .collect();
    let full = gzip(&text);
    let cut = &full[..full.len() / 2];
    let (res, out) = run(&auto(), &[], cut);
    let err = res.unwrap_err();
    assert!(
        matches!(err, DecodeError::Corrupt { format: "gzip", .. }),
        "{err}"
    );
    assert!(!events(&out).is_empty());
    assert!(events(&out).len() < 2000);
}

#[test]
fn corrupt_gzip_is_an_error() {
    let mut data = gzip(b"{\"a\":1}\n");
    let n = data.len();
    for b in &mut data[10..n - 8] {
        *b ^= 0x55;
    }
    let (res, _) = run(&auto(), &[], &data);
    assert!(matches!(
        res.unwrap_err(),
        DecodeError::Corrupt { format: "gzip", .. }
    ));
}

#[test]
fn records_document_is_split_single_line_and_pretty() {
    let one_line = br#"{"Records":[{"eventName":"A"},{"eventName":"B","x":[1,{"y":"]"}]}]}"#;
    let (_, out) = run(&auto(), &["Records"], one_line);
    assert_eq!(
        events(&out),
        vec![
            r#"{"eventName":"A"}"#,
            r#"{"eventName":"B","x":[1,{"y":"]"}]}"#
        ]
    );
    assert!(out
        .iter()
        .all(|o| matches!(o, Out::Event { list: Some(l), .. } if l == "Records")));

    let pretty =
        b"{\n  \"Records\": [\n    {\"eventName\": \"A\"},\n    {\"eventName\": \"B\"}\n  ]\n}\n";
    let (_, out) = run(&auto(), &["Records"], pretty);
    assert_eq!(
        events(&out),
        vec![r#"{"eventName": "A"}"#, r#"{"eventName": "B"}"#]
    );
    match &out[1] {
        Out::Event { line, offset, .. } => {
            assert_eq!(*line, 4);
            assert_eq!(&pretty[*offset as usize..*offset as usize + 3], b"{\"e");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn records_after_other_keys_and_several_lists() {
    let doc = br#"{"queryEndTime":"2024-01-01T00:00:00Z","messagesDelivered":[{"m":1},{"m":2}],"clicksBlocked":[{"c":1}],"other":{"z":[1]}}"#;
    let lists = ["messagesDelivered", "clicksBlocked"];
    for config in [auto(), framing(Framing::Single), framing(Framing::Lines)] {
        let (_, out) = run(&config, &lists, doc);
        let got: Vec<(String, Option<String>)> = out
            .iter()
            .map(|o| match o {
                Out::Event { json, list, .. } => (json.clone(), list.clone()),
                Out::Bad { reason, .. } => panic!("{reason}"),
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("{\"m\":1}".into(), Some("messagesDelivered".into())),
                ("{\"m\":2}".into(), Some("messagesDelivered".into())),
                ("{\"c\":1}".into(), Some("clicksBlocked".into())),
            ],
            "{config:?}"
        );
    }
}

#[test]
fn object_without_the_list_is_one_event_and_arrays_expand() {
    let (_, out) = run(
        &framing(Framing::Single),
        &["Records"],
        b" {\"a\":{\"Records\":1}} ",
    );
    assert_eq!(events(&out), vec!["{\"a\":{\"Records\":1}}"]);
    let (_, out) = run(&auto(), &[], b"[{\"a\":1}, {\"b\":2}]");
    assert_eq!(events(&out), vec!["{\"a\":1}", "{\"b\":2}"]);
    let (_, out) = run(&auto(), &["Records"], b"{\"Records\":[]}");
    assert!(out.is_empty());
}

#[test]
fn concatenated_pretty_objects() {
    let data = b"{\n  \"a\": 1,\n  \"b\": {\"c\": \"}\\\"\"}\n}\n{\n  \"d\": 2\n}\n";
    let (_, out) = run(&auto(), &[], data);
    assert_eq!(
        events(&out),
        vec![
            "{\n  \"a\": 1,\n  \"b\": {\"c\": \"}\\\"\"}\n}",
            "{\n  \"d\": 2\n}"
        ]
    );
    match &out[1] {
        Out::Event { line, .. } => assert_eq!(*line, 5),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_lines_are_reported_with_their_line_and_the_rest_delivered() {
    let data = b"{\"a\":1}\n{\"b\":\n{\"c\":3}\nnot json\n{\"d\":\"\xff\"}\n{\"e\":5}\n";
    for config in [auto(), framing(Framing::Lines)] {
        let (res, out) = run(&config, &[], data);
        res.unwrap();
        assert_eq!(
            events(&out),
            vec!["{\"a\":1}", "{\"c\":3}", "{\"e\":5}"],
            "{config:?}"
        );
        let bad = bads(&out);
        assert_eq!(bad.iter().map(|b| b.1).collect::<Vec<_>>(), vec![2, 4, 5]);
        assert!(
            bad.iter().all(|b| b.0.starts_with("invalid JSON")),
            "{bad:?}"
        );
    }
}

#[test]
fn empty_whitespace_bom_and_crlf() {
    for data in [&b""[..], b"   \n\n\t ", b"\xEF\xBB\xBF", b"\xEF\xBB\xBF\n"] {
        let (res, out) = run(&auto(), &[], data);
        res.unwrap();
        assert!(out.is_empty(), "{data:?}: {out:?}");
    }
    let (_, out) = run(&auto(), &[], b"\xEF\xBB\xBF{\"a\":1}\r\n{\"b\":2}\r\n");
    assert_eq!(events(&out), vec!["{\"a\":1}", "{\"b\":2}"]);
    let (_, out) = run(
        &framing(Framing::Single),
        &[],
        b"\xEF\xBB\xBF{\r\n\"a\":1\r\n}\r\n",
    );
    assert_eq!(events(&out), vec!["{\r\n\"a\":1\r\n}"]);
}

#[test]
fn single_framing_rejects_trailing_data() {
    let (_, out) = run(&framing(Framing::Single), &[], b"{\"a\":1}\n{\"b\":2}\n");
    assert_eq!(events(&out), vec!["{\"a\":1}"]);
    assert_eq!(
        bads(&out),
        vec![("data after the single JSON document".to_owned(), 2)]
    );
}

#[test]
fn oversize_record_is_reported_and_the_rest_delivered() {
    let mut config = auto();
    config.limits.max_record_bytes = 1000;
    let big = format!("{{\"big\":\"{}\"}}", "x".repeat(5000));
    let data = format!("{{\"a\":1}}\n{big}\n{{\"b\":2}}\n");
    for framing in [Framing::Auto, Framing::Lines] {
        config.framing = framing;
        let (_, out) = run(&config, &[], data.as_bytes());
        assert_eq!(events(&out), vec!["{\"a\":1}", "{\"b\":2}"]);
        assert_eq!(
            bads(&out),
            vec![("record exceeds the limit of 1000 bytes".to_owned(), 2)]
        );
    }
    // Pretty (scanned) records and list elements too.
    let doc = format!("{{\"Records\":[{{\"a\":1}},\n{big},\n{{\"b\":2}}]}}");
    config.framing = Framing::Single;
    let (_, out) = run(&config, &["Records"], doc.as_bytes());
    assert_eq!(events(&out), vec!["{\"a\":1}", "{\"b\":2}"]);
    assert_eq!(bads(&out).len(), 1);
}

#[test]
fn deep_nesting_is_reported_without_recursion() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let data = format!("{{\"a\":1}}\n{deep}\n{{\"b\":2}}\n");
    for framing in [Framing::Auto, Framing::Lines] {
        let (_, out) = run_with(&self::framing(framing), &[], data.as_bytes(), usize::MAX);
        assert_eq!(events(&out), vec!["{\"a\":1}", "{\"b\":2}"], "{framing:?}");
        assert_eq!(
            bads(&out),
            vec![(
                "record nests deeper than the limit of 100 levels".to_owned(),
                2
            )]
        );
    }
    let pretty_deep = format!("{{\n\"x\": {deep}\n}}\n{{\"b\":2}}");
    let (_, out) = run_with(&auto(), &[], pretty_deep.as_bytes(), usize::MAX);
    assert_eq!(events(&out), vec!["{\"b\":2}"]);
    assert_eq!(bads(&out).len(), 1);
}

#[test]
fn truncated_document_is_reported() {
    let (res, out) = run(&auto(), &["Records"], b"{\"Records\":[{\"a\":1},{\"b\":");
    res.unwrap();
    assert_eq!(events(&out), vec!["{\"a\":1}"]);
    assert_eq!(
        bads(&out)[0].0,
        "object ends inside this record (truncated)"
    );
    let (_, out) = run(&auto(), &[], b"{\n\"a\": [1, 2");
    assert_eq!(bads(&out).len(), 1);
}

#[test]
fn garbage_inside_lists_and_objects_is_reported() {
    let (_, out) = run(
        &framing(Framing::Single),
        &["Records"],
        b"{\"Records\":[{\"a\":1} @ {\"b\":2}]}",
    );
    assert_eq!(events(&out), vec!["{\"a\":1}"]);
    assert_eq!(bads(&out).len(), 1);
    let (_, out) = run(
        &framing(Framing::Single),
        &["Records"],
        b"{\"x\" 1, \"Records\":[]}",
    );
    assert!(events(&out).is_empty());
    assert_eq!(bads(&out).len(), 1);
}

#[test]
fn gzip_bomb_is_stopped_by_the_ratio_limit() {
    let zeros = vec![b' '; 64 << 20];
    let bomb = gzip_level(&zeros, flate2::Compression::best());
    let mut config = auto();
    config.limits.ratio_check_after_bytes = 1 << 20;
    let (res, _) = run_with(&config, &[], &bomb, usize::MAX);
    assert!(matches!(res.unwrap_err(), DecodeError::LimitExceeded(_)));
    config.limits.max_compression_ratio = u64::MAX;
    config.limits.max_decompressed_bytes = 10 << 20;
    let (res, _) = run_with(&config, &[], &bomb, usize::MAX);
    let err = res.unwrap_err();
    assert!(
        err.to_string().contains("decompressed size exceeds"),
        "{err}"
    );
}

#[test]
fn stop_early() {
    let decoder = JsonDecoder::new(&auto());
    let mut seen = 0;
    let summary = decoder
        .decode(
            Box::new(&b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n"[..]),
            &[],
            &mut |_| {
                seen += 1;
                if seen == 2 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
    assert_eq!(seen, 2);
    assert!(summary.frames.stopped);
}

#[test]
fn large_records_document_streams() {
    // 200k records in one document, read through the scanner path (no newline in the first MiB).
    let mut doc = b"{\"Records\":[".to_vec();
    for i in 0..200_000 {
        if i > 0 {
            doc.push(b',');
        }
        doc.extend_from_slice(
            format!("{{\"eventName\":\"E{i}\",\"s\":\"a\\\"b\\\\\"}}").as_bytes(),
        );
    }
    doc.extend_from_slice(b"]}");
    let (res, out) = run_with(&auto(), &["Records"], &gzip(&doc), 65536);
    res.unwrap();
    assert_eq!(out.len(), 200_000);
    assert!(
        matches!(&out[199_999], Out::Event { json, .. } if json.starts_with("{\"eventName\":\"E199999\""))
    );
}

#[test]
fn top_level_scalars_are_events() {
    let (_, out) = run(&framing(Framing::Single), &[], b"\"just a string\"");
    assert_eq!(events(&out), vec!["\"just a string\""]);
    let (_, out) = run(&auto(), &[], b"1 2 true");
    assert_eq!(events(&out), vec!["1", "2", "true"]);
}

#[test]
fn an_eight_mib_record_is_delivered_whole() {
    let big = format!("{{\"blob\":\"{}\"}}", "y".repeat(8 << 20));
    let data = format!("{{\"a\":1}}\n{big}\n{{\"b\":2}}\n");
    for framing in [Framing::Auto, Framing::Lines, Framing::Single] {
        let (_, out) = run_with(
            &self::framing(framing),
            &[],
            &gzip(data.as_bytes()),
            1 << 16,
        );
        let ev = events(&out);
        assert_eq!(
            ev.first().map(String::as_str),
            Some("{\"a\":1}"),
            "{framing:?}"
        );
        if framing != Framing::Single {
            assert_eq!(ev.len(), 3, "{framing:?}");
            assert_eq!(ev[1].len(), big.len());
        }
    }
}

/// Found by the `decode` fuzz target: a number beyond f64's range is valid JSON text (RFC 8259
/// leaves the range to implementations), so the line is an event, written through byte for byte.
#[test]
fn a_number_beyond_f64_range_is_valid_text_and_delivered_as_is() {
    let line = "666666666666E600000000000000000000000506";
    let data = format!("{line}\n{{\"a\":1e999}}\n");
    for framing in [Framing::Auto, Framing::Lines] {
        let (res, out) = run(&self::framing(framing), &[], data.as_bytes());
        res.unwrap();
        assert_eq!(events(&out), vec![line, "{\"a\":1e999}"], "{framing:?}");
        assert!(bads(&out).is_empty());
    }
}
