//! Values one after another: `Records` lists streamed element by element, pretty documents, `single`.

use std::ops::ControlFlow;

use super::*;

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
fn single_framing_rejects_trailing_data() {
    let (_, out) = run(&framing(Framing::Single), &[], b"{\"a\":1}\n{\"b\":2}\n");
    assert_eq!(events(&out), vec!["{\"a\":1}"]);
    assert_eq!(
        bads(&out),
        vec![("data after the single JSON document".to_owned(), 2)]
    );
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
