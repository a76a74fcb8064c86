//! Text formats: header-driven columns, W3C, CSV/TSV, quoted fixed lists, multiline, sniffing,
//! and bad input (wrong field counts, missing headers, over-long lines, binary junk).

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::decode::text::{ExtraFields, Field, TextFormat, Variant};

fn run_text_with(
    format: &TextFormat,
    config: &DecoderConfig,
    data: &[u8],
    step: usize,
) -> (Result<DecodeSummary, DecodeError>, Vec<Out>) {
    let decoder = JsonDecoder::new(config);
    let mut out = Vec::new();
    let res = decoder.decode_text(
        Box::new(Trickle::new(data, step)),
        format,
        &[],
        &mut |item| {
            if let Item::Event { raw, fields, .. } = &item {
                // Events are JSON, and the noted fields are the object's keys, in order.
                let value: Value = serde_json::from_str(raw).expect("events are JSON");
                if let (Some(fields), Value::Object(map)) = (fields, &value) {
                    let noted: Vec<&str> = fields.iter().map(|f| &raw[f.key.clone()]).collect();
                    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                    let mut sorted = noted.clone();
                    sorted.sort_unstable();
                    sorted.dedup();
                    assert_eq!(sorted, keys, "{raw}");
                }
            }
            out.push(Out::of(item));
            ControlFlow::Continue(())
        },
    );
    (res, out)
}

/// Decodes with big, 1-, 7- and 4093-byte reads; all must agree.
fn run_text(
    format: &TextFormat,
    config: &DecoderConfig,
    data: &[u8],
) -> (Result<DecodeSummary, DecodeError>, Vec<Out>) {
    let (res, out) = run_text_with(format, config, data, usize::MAX);
    for step in [1, 7, 4093] {
        let (res2, out2) = run_text_with(format, config, data, step);
        assert_eq!(out, out2, "different items with {step}-byte reads");
        assert_eq!(res.as_ref().err(), res2.as_ref().err(), "{step}-byte reads");
    }
    (res, out)
}

fn values(out: &[Out]) -> Vec<Value> {
    events(out)
        .iter()
        .map(|e| serde_json::from_str(e).expect("JSON"))
        .collect()
}

/// The dead letter at `out[i]`: reason, line, offset and sample.
fn bad_at(out: &[Out], i: usize) -> (&str, u64, u64, &str) {
    match out.get(i) {
        Some(Out::Bad {
            reason,
            line,
            offset,
            sample,
        }) => (reason, *line, *offset, sample),
        _ => panic!("no dead letter at {i}: {out:?}"),
    }
}

fn vpc() -> TextFormat {
    TextFormat::header_line("VPC Flow Logs", b' ', "VPC Flow Logs header line")
        .expect_any(&["version", "interface-id", "srcaddr", "action"])
        .with_types(
            [
                "version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end",
            ]
            .into_iter()
            .map(Field::integer)
            .collect(),
        )
}

const VPC: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
";

#[test]
fn vpc_flow_fields_are_named_by_the_header_typed_and_absent_when_dashed() {
    let (res, out) = run_text(&vpc(), &auto(), VPC.as_bytes());
    let summary = res.expect("decodes");
    assert_eq!((summary.frames.events, summary.frames.bad), (2, 0));
    assert_eq!(
        values(&out),
        vec![
            json!({"version":2,"account-id":"123456789010","interface-id":"eni-1235b8ca123456789",
                "srcaddr":"172.31.16.139","dstaddr":"172.31.16.21","srcport":20641,"dstport":22,
                "protocol":6,"packets":20,"bytes":4249,"start":1418530010,"end":1418530070,
                "action":"ACCEPT","log-status":"OK"}),
            json!({"version":2,"account-id":"123456789010","interface-id":"eni-1235b8ca123456789",
                "start":1431280876,"end":1431280934,"log-status":"NODATA"}),
        ]
    );
    let Out::Event { line, offset, .. } = &out[1] else {
        panic!("{out:?}")
    };
    assert_eq!(*line, 3);
    assert_eq!(
        *offset as usize,
        VPC.find("2 123456789010 eni-1235b8ca123456789 -").unwrap()
    );
}

#[test]
fn vpc_flow_custom_field_orders_follow_the_header() {
    let data = "interface-id action srcaddr pkt-srcaddr tcp-flags\r\neni-1 REJECT 10.0.0.1 10.0.0.9 19\r\n";
    let format = vpc().with_types(vec![Field::integer("tcp-flags")]);
    let (res, out) = run_text(&format, &auto(), data.as_bytes());
    res.expect("decodes");
    assert_eq!(
        values(&out),
        vec![
            json!({"interface-id":"eni-1","action":"REJECT","srcaddr":"10.0.0.1",
            "pkt-srcaddr":"10.0.0.9","tcp-flags":19})
        ]
    );
}

#[test]
fn a_line_with_the_wrong_number_of_fields_is_dead_lettered_with_its_place() {
    let mut data = VPC.to_owned();
    let short = "2 123456789010 eni-1 10.0.0.1 ACCEPT\n";
    let at = data.len();
    data.push_str(short);
    data.push_str("2 1 eni-2 - - - - - - - 1 2 - NODATA\n");
    let (res, out) = run_text(&vpc(), &auto(), data.as_bytes());
    let summary = res.expect("decodes");
    assert_eq!((summary.frames.events, summary.frames.bad), (3, 1));
    let (reason, line, offset, sample) = bad_at(&out, 2);
    assert_eq!(reason, "wrong number of fields: expected 14, found 5");
    assert_eq!((line, offset as usize), (4, at));
    assert_eq!(sample, short.trim_end());
}

#[test]
fn a_vpc_flow_object_without_its_header_is_undecodable_and_names_the_header() {
    let data = VPC.split_once('\n').unwrap().1;
    let (res, out) = run_text(&vpc(), &auto(), data.as_bytes());
    let err = res.expect_err("no header");
    assert!(out.is_empty(), "{out:?}");
    assert!(matches!(err, DecodeError::MissingHeader { .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::Permanent);
    let message = err.to_string();
    assert!(message.starts_with("VPC Flow Logs object without its VPC Flow Logs header line: the first line \"2 123456789010"), "{message}");
    // A header of names that are not flow-log fields is not taken for one either.
    let (res, _) = run_text(&vpc(), &auto(), b"alpha beta\nx y\n");
    assert!(res
        .unwrap_err()
        .to_string()
        .contains("it names none of version"));
}

#[test]
fn a_repeated_header_line_is_skipped_and_blank_lines_ignored() {
    let data = format!("{VPC}\n\n{VPC}");
    let (res, out) = run_text(&vpc(), &auto(), data.as_bytes());
    assert_eq!(res.expect("decodes").frames.events, 4);
    assert_eq!(bads(&out), vec![]);
}

fn cloudfront() -> TextFormat {
    TextFormat::w3c("CloudFront").with_types(vec![
        Field::integer("sc-bytes"),
        Field::number("time-taken"),
    ])
}

#[test]
fn cloudfront_w3c_fields_come_from_the_fields_directive() {
    let data =
        "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs(Referer) time-taken\n\
        2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\t-\t0.001\n\
        #Fields: date time sc-bytes\n2019-12-05\t01:00:00\t7\n";
    let (res, out) = run_text(&cloudfront(), &auto(), data.as_bytes());
    res.expect("decodes");
    assert_eq!(
        values(&out),
        vec![
            json!({"date":"2019-12-04","time":"21:02:31","x-edge-location":"LAX1","sc-bytes":392,
                "c-ip":"192.0.2.100","time-taken":0.001}),
            json!({"date":"2019-12-05","time":"01:00:00","sc-bytes":7}),
        ]
    );
    let Out::Event { line, .. } = &out[1] else {
        panic!()
    };
    assert_eq!(*line, 5);
}

#[test]
fn a_cloudfront_object_without_fields_is_undecodable_and_names_the_header() {
    let data = "#Version: 1.0\n2019-12-04\t21:02:31\tLAX1\n";
    let (res, out) = run_text(&cloudfront(), &auto(), data.as_bytes());
    assert!(out.is_empty());
    let err = res.expect_err("no #Fields:");
    assert!(
        err.to_string()
            .starts_with("CloudFront object without its #Fields: header"),
        "{err}"
    );
}

#[test]
fn csv_follows_rfc_4180_and_tsv_too() {
    let data =
        "name,\"note\",count\r\nbob,\"says \"\"hi\"\"\",3\nann,\"two\nlines\",\nlast,x,y,z\n";
    let format = TextFormat::csv("CSV", b',').with_types(vec![Field::integer("count")]);
    let (res, out) = run_text(&format, &auto(), data.as_bytes());
    assert_eq!(res.expect("decodes").frames.bad, 1);
    assert_eq!(
        values(&out),
        vec![
            json!({"name":"bob","note":"says \"hi\"","count":3}),
            json!({"name":"ann","note":"two\nlines","count":""}),
        ]
    );
    assert_eq!(
        bads(&out),
        vec![("wrong number of fields: expected 3, found 4".to_owned(), 5)]
    );
    let tsv = TextFormat::csv("TSV", b'\t');
    let (res, out) = run_text(&tsv, &auto(), b"a\tb\n1\t\"x\ty\"\n");
    res.expect("decodes");
    assert_eq!(values(&out), vec![json!({"a":"1","b":"x\ty"})]);
}

fn alb() -> TextFormat {
    let http: Vec<Field> = vec![
        Field::text("type"),
        Field::text("time"),
        Field::text("elb"),
        Field::text("client:port"),
        Field::number("request_processing_time"),
        Field::integer("elb_status_code"),
        Field::text("request"),
        Field::text("user_agent"),
        Field::text("trace_id"),
        Field::text("target_status_code_list"),
    ];
    let elb: Vec<Field> = vec![
        Field::text("time"),
        Field::text("elb"),
        Field::text("client:port"),
        Field::text("request"),
    ];
    TextFormat::quoted_variants(
        "ALB",
        vec![
            Variant::new(http)
                .when_first(&["http", "https", "h2", "ws", "wss", "grpcs"])
                .min_fields(8),
            Variant::new(elb),
        ],
    )
    .with_extra(ExtraFields::Ignore)
}

#[test]
fn alb_quoted_fields_keep_spaces_and_escapes_and_variants_pick_the_list() {
    let data = concat!(
        "http 2018-07-02T22:23:00.186641Z app/lb/50dc 192.168.131.39:2817 0.000 200 ",
        "\"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.46.0 \\\"q\\\"\" \"Root=1-58337262\" \"-\" new-field\n",
        "2015-05-13T23:39:43.945958Z my-lb 192.168.131.39:2817 \"GET https://x/ HTTP/1.1\"\n",
        "https 2018-07-02T22:23:00Z app/lb/1 [::1]:80 0.5 502 \"GET / HTTP/1.1\" \"ua\"\n",
        "http 2018 short\n",
        "http 2018 \"unterminated\n",
    );
    let (res, out) = run_text(&alb(), &auto(), data.as_bytes());
    res.expect("decodes");
    assert_eq!(
        values(&out),
        vec![
            json!({"type":"http","time":"2018-07-02T22:23:00.186641Z","elb":"app/lb/50dc",
                "client:port":"192.168.131.39:2817","request_processing_time":0.000,
                "elb_status_code":200,"request":"GET http://www.example.com:80/ HTTP/1.1",
                "user_agent":"curl/7.46.0 \"q\"","trace_id":"Root=1-58337262"}),
            json!({"time":"2015-05-13T23:39:43.945958Z","elb":"my-lb",
                "client:port":"192.168.131.39:2817","request":"GET https://x/ HTTP/1.1"}),
            json!({"type":"https","time":"2018-07-02T22:23:00Z","elb":"app/lb/1",
                "client:port":"[::1]:80","request_processing_time":0.5,"elb_status_code":502,
                "request":"GET / HTTP/1.1","user_agent":"ua"}),
        ]
    );
    assert_eq!(
        bads(&out),
        vec![
            (
                "wrong number of fields: expected 8 to 10, found 3".to_owned(),
                4
            ),
            (
                "unreadable text record: unterminated quote opened at byte 10".to_owned(),
                5
            ),
        ]
    );
}

#[test]
fn s3_access_brackets_hold_the_time() {
    let format = TextFormat::quoted(
        "S3 access",
        vec![
            Field::text("bucket_owner"),
            Field::text("bucket"),
            Field::text("time"),
            Field::text("remote_ip"),
            Field::text("request_uri"),
            Field::integer("http_status"),
            Field::integer("bytes_sent"),
        ],
    );
    let data = "79a5 DOC-EXAMPLE-BUCKET1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 \"GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1\" 200 -\n";
    let (res, out) = run_text(&format, &auto(), data.as_bytes());
    res.expect("decodes");
    assert_eq!(
        values(&out),
        vec![json!({"bucket_owner":"79a5","bucket":"DOC-EXAMPLE-BUCKET1",
            "time":"06/Feb/2019:00:00:38 +0000","remote_ip":"192.0.2.3",
            "request_uri":"GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1","http_status":200})]
    );
}

#[test]
fn an_over_long_line_hits_the_record_limit_and_the_rest_is_delivered() {
    let config = DecoderConfig {
        limits: Limits {
            max_record_bytes: 200,
            max_sample_bytes: 16,
            ..Limits::default()
        },
        ..DecoderConfig::default()
    };
    let long = format!("2 1 eni-1 {} - - - - - - 1 2 - NODATA\n", "9".repeat(5000));
    let data = format!("{VPC}{long}{}", VPC.split_once('\n').unwrap().1);
    let (res, out) = run_text(&vpc(), &config, data.as_bytes());
    let summary = res.expect("decodes");
    assert_eq!((summary.frames.events, summary.frames.bad), (4, 1));
    let (reason, line, offset, sample) = bad_at(&out, 2);
    assert_eq!(reason, "record exceeds the limit of 200 bytes");
    assert_eq!((line, offset as usize), (4, VPC.len()));
    assert_eq!(sample, "2 1 eni-1 999999");
    let Out::Event { line, .. } = &out[4] else {
        panic!()
    };
    assert_eq!(*line, 6);
    // The same for a long last line without a newline, and an over-long header.
    let data = format!("{VPC}{}", long.trim_end());
    let (res, out) = run_text(&vpc(), &config, data.as_bytes());
    assert_eq!(res.expect("decodes").frames.bad, 1);
    assert_eq!(
        bads(&out),
        vec![("record exceeds the limit of 200 bytes".to_owned(), 4)]
    );
}

#[test]
fn a_multiline_start_pattern_joins_continuation_lines() {
    let format = TextFormat::quoted("app", vec![Field::text("level"), Field::text("message")])
        .with_multiline_start(regex::Regex::new(r"^(INFO|ERROR) ").unwrap());
    let data = "INFO \"started\"\nERROR \"failed\n  at a.b(C.java:1)\n  at d.e\"\nINFO \"done\"\n";
    let (res, out) = run_text(&format, &auto(), data.as_bytes());
    res.expect("decodes");
    assert_eq!(
        values(&out),
        vec![
            json!({"level":"INFO","message":"started"}),
            json!({"level":"ERROR","message":"failed\n  at a.b(C.java:1)\n  at d.e"}),
            json!({"level":"INFO","message":"done"}),
        ]
    );
    let lines: Vec<u64> = out
        .iter()
        .map(|o| match o {
            Out::Event { line, .. } | Out::Bad { line, .. } => *line,
        })
        .collect();
    assert_eq!(lines, vec![1, 2, 5]);
}

#[test]
fn compressed_text_decodes_like_plain_text() {
    let (res, out) = run_text(&vpc(), &auto(), &gzip(VPC.as_bytes()));
    let summary = res.expect("decodes");
    assert_eq!(summary.detected, Detected::Gzip);
    let (_, plain) = run_text(&vpc(), &auto(), VPC.as_bytes());
    assert_eq!(out, plain);
    let zstd = zstd::encode_all(VPC.as_bytes(), 3).unwrap();
    let (res, out) = run_text(&vpc(), &auto(), &zstd);
    assert_eq!(res.expect("decodes").detected, Detected::Zstd);
    assert_eq!(out, plain);
}

#[test]
fn json_content_of_a_text_source_is_framed_as_json_back_to_back_objects_included() {
    // Kinesis Data Firehose writes objects with no separator.
    let data = br#"{"a":1}{"a":2}{"a":3}
{"a":4}{"a":5}"#;
    let (res, out) = run_text(&vpc(), &auto(), data);
    res.expect("decodes");
    assert_eq!(
        events(&out),
        [
            "{\"a\":1}",
            "{\"a\":2}",
            "{\"a\":3}",
            "{\"a\":4}",
            "{\"a\":5}"
        ]
    );
    // A JSON source (no text format) frames them the same way.
    let (res, out) = run(&auto(), &[], data);
    res.expect("decodes");
    assert_eq!(events(&out).len(), 5);
}

#[test]
fn binary_junk_is_an_undecodable_object_not_lines_of_garbage() {
    let mut junk = Vec::new();
    let mut x = 0x2545F491u32;
    for _ in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk.push((x >> 24) as u8 | 0x80);
    }
    for data in [junk.clone(), gzip(&junk), b"ab\0cd\n".to_vec()] {
        let (res, out) = run_text(&vpc(), &auto(), &data);
        assert!(out.is_empty(), "{out:?}");
        let err = res.expect_err("binary");
        assert!(matches!(err, DecodeError::NotText { .. }), "{err}");
        assert_eq!(err.class(), ErrorClass::Permanent);
    }
}

#[test]
fn a_stray_invalid_byte_costs_its_line_only() {
    let mut data = VPC.as_bytes().to_vec();
    data.extend_from_slice(b"2 1 eni-\xff - - - - - - - 1 2 - NODATA\n");
    data.extend_from_slice(VPC.split_once('\n').unwrap().1.as_bytes());
    let (res, out) = run_text(&vpc(), &auto(), &data);
    assert_eq!(res.expect("decodes").frames.events, 4);
    assert_eq!(
        bads(&out),
        vec![(
            "unreadable text record: invalid UTF-8 at byte 8 of the record".to_owned(),
            4
        )]
    );
}

#[test]
fn an_invalid_byte_in_a_field_no_column_takes_still_costs_its_line() {
    // The ELB list has 4 columns and extra fields are ignored: the bad byte is in the 5th.
    let mut data = b"2015-05-13T23:39:43Z my-lb 10.0.0.1:2817 GET extra-\xff\n".to_vec();
    data.extend_from_slice(b"2015-05-13T23:39:44Z my-lb 10.0.0.1:2817 GET extra\n");
    let (res, out) = run_text(&alb(), &auto(), &data);
    assert_eq!(res.expect("decodes").frames.events, 1);
    assert_eq!(
        bads(&out),
        vec![(
            "unreadable text record: invalid UTF-8 at byte 51 of the record".to_owned(),
            1
        )]
    );
    assert_eq!(values(&out)[0]["request"], "GET");
}

#[test]
fn an_empty_object_has_no_events_and_no_header_error() {
    for data in [&b""[..], b"\n\n", b"\xEF\xBB\xBF"] {
        let (res, out) = run_text(&vpc(), &auto(), data);
        assert_eq!(res.expect("decodes").frames.events, 0);
        assert!(out.is_empty());
    }
}

#[test]
fn a_consumer_can_stop_early() {
    let decoder = JsonDecoder::new(&auto());
    let mut seen = 0;
    let summary = decoder
        .decode_text(Box::new(VPC.as_bytes()), &vpc(), &[], &mut |_| {
            seen += 1;
            ControlFlow::Break(())
        })
        .expect("decodes");
    assert!(summary.frames.stopped);
    assert_eq!(seen, 1);
}

/// One quoted-format field: any printable text with spaces, quotes and backslashes.
fn field_text() -> impl Strategy<Value = String> {
    "[ -~]{0,12}"
}

fn quote_field(f: &str) -> String {
    format!("\"{}\"", f.replace('\\', "\\\\").replace('"', "\\\""))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any fields written quoted read back exactly, whatever the read sizes.
    #[test]
    fn quoted_fields_round_trip(rows in proptest::collection::vec(proptest::collection::vec(field_text(), 3), 1..6)) {
        let format = TextFormat::quoted("p", vec![Field::text("a"), Field::text("b"), Field::text("c")]).with_absent(&[]);
        let text: String = rows
            .iter()
            .map(|r| r.iter().map(|f| quote_field(f)).collect::<Vec<_>>().join(" ") + "\n")
            .collect();
        let (res, out) = run_text(&format, &auto(), text.as_bytes());
        prop_assert!(res.is_ok());
        let expected: Vec<Value> = rows.iter().map(|r| json!({"a": r[0], "b": r[1], "c": r[2]})).collect();
        prop_assert_eq!(values(&out), expected);
    }

    /// Arbitrary bytes never panic; every event is JSON (checked by the helper).
    #[test]
    fn hostile_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400), csv in any::<bool>()) {
        let format = if csv { TextFormat::csv("c", b',') } else { alb() };
        let _ = run_text(&format, &auto(), &data);
        let mut text = b"version srcaddr\n".to_vec();
        text.extend_from_slice(&data);
        let _ = run_text(&vpc(), &auto(), &text);
    }
}

#[test]
fn text_starting_with_a_bracket_is_text_and_json_arrays_are_json() {
    let format = TextFormat::quoted("t", vec![Field::text("time"), Field::text("who")]);
    let (res, out) = run_text(&format, &auto(), b"[06/Feb/2019:00:00:38 +0000] ann\n");
    res.expect("decodes");
    assert_eq!(
        values(&out),
        vec![json!({"time":"06/Feb/2019:00:00:38 +0000","who":"ann"})]
    );
    let (res, out) = run_text(&format, &auto(), b"  [{\"a\":1},{\"a\":2}]\n");
    res.expect("decodes");
    assert_eq!(events(&out), ["{\"a\":1}", "{\"a\":2}"]);
}
