//! What `auto` chooses: a valid document is never cut into lines; newline-delimited JSON is framed
//! line by line, a broken line included. (The property test in `tests/auto_framing.rs` checks the
//! rule over generated documents.)

use super::*;

/// `auto` gives exactly what `single` gives (plain and gzip, every read size).
fn assert_auto_is_single(expand: &[&str], doc: &[u8]) -> Vec<Out> {
    let (res, single) = run(&framing(Framing::Single), expand, doc);
    res.unwrap();
    for data in [doc.to_vec(), gzip(doc)] {
        let (res, out) = run(&auto(), expand, &data);
        res.unwrap();
        assert_eq!(out, single, "{:?}", String::from_utf8_lossy(doc));
    }
    single
}

/// Found in issue 10: `printf '[\n{"a":1}\n]\n'` gave 1 record and 2 dead letters.
#[test]
fn an_array_written_one_element_per_line_is_one_document() {
    let out = assert_auto_is_single(&[], b"[\n{\"a\":1}\n]\n");
    assert_eq!(events(&out), vec!["{\"a\":1}"]);
    assert!(bads(&out).is_empty());
}

/// Found in issue 10: the second element (`,{…}` on its own line) was dead-lettered, and the
/// message acknowledged, so it never reached the sink.
#[test]
fn a_records_list_with_leading_commas_is_one_document() {
    let doc = b"{\"Records\":[\n{\"eventName\":\"X\"}\n,{\"eventName\":\"Y\"}\n]}";
    let out = assert_auto_is_single(&["Records"], doc);
    assert_eq!(
        events(&out),
        vec!["{\"eventName\":\"X\"}", "{\"eventName\":\"Y\"}"]
    );
    assert!(bads(&out).is_empty());
}

#[test]
fn every_layout_of_one_document_reads_as_single() {
    let docs: [&[u8]; 8] = [
        b"[\n  {\"a\": 1},\n  {\"b\": [1,\n 2]}\n]",
        b"\xEF\xBB\xBF[\r\n{\"a\":1}\r\n,{\"b\":2}\r\n]\r\n",
        b"\n\n  {\"Records\": [{\"a\":1},\n{\"b\":2}],\n \"x\": 1}\n\n",
        b"{\"Records\":\n[\n]\n}",
        b"{\n\"a\": \"{\\\"b\\\":1}\"\n}",
        b"[1,\n2,\n\"three\"\n]",
        b"{\"a\":1}\n",
        b"\"text\"\n",
    ];
    for doc in docs {
        assert_auto_is_single(&["Records"], doc);
    }
}

#[test]
fn a_first_line_that_is_a_value_by_itself_means_one_value_per_line() {
    let data = b"{\"a\":1}\n{\n\"b\":2\n}\n";
    let (_, lines) = run(&framing(Framing::Lines), &[], data);
    let (_, out) = run(&auto(), &[], data);
    assert_eq!(out, lines);
    assert_eq!(events(&out), vec!["{\"a\":1}"]);
    assert_eq!(bads(&out).len(), 3);
}

#[test]
fn a_broken_first_line_costs_that_line_only() {
    // The broken line opens an object the next line seems to fill: still lines.
    for data in [
        &b"{\"b\":\n{\"c\":3}\n"[..],
        b"[\n{\"c\":3}\n",
        b"{\"b\":\n{\"c\":3}\n{\"d\":4}\n",
        b"{\"a\":1} trailing\n{\"c\":3}\n",
        b"not json\n{\"c\":3}\n",
    ] {
        let (_, lines) = run(&framing(Framing::Lines), &[], data);
        let (_, out) = run(&auto(), &[], data);
        assert_eq!(out, lines, "{:?}", String::from_utf8_lossy(data));
        assert_eq!(bads(&out).len(), 1, "{out:?}");
        assert_eq!(bads(&out)[0].1, 1);
        assert!(events(&out).contains(&"{\"c\":3}".to_owned()));
    }
}

#[test]
fn lines_expand_arrays_and_lists_as_documents_do() {
    let data = b"{\"Records\":[{\"a\":1},{\"b\":[2]}],\"n\":1}\n[3,{\"c\":4}]\n{\"x\":\"Records\",\"y\":[\"Records\"]}\n[]\n";
    let (_, out) = run(&framing(Framing::Lines), &["Records"], data);
    assert_eq!(
        events(&out),
        vec![
            "{\"a\":1}",
            "{\"b\":[2]}",
            "3",
            "{\"c\":4}",
            "{\"x\":\"Records\",\"y\":[\"Records\"]}"
        ]
    );
    let lines: Vec<(u64, Option<String>)> = out
        .iter()
        .map(|o| match o {
            Out::Event { line, list, .. } => (*line, list.clone()),
            Out::Bad { reason, .. } => panic!("{reason}"),
        })
        .collect();
    let records = Some("Records".to_owned());
    assert_eq!(
        lines,
        vec![
            (1, records.clone()),
            (1, records),
            (2, None),
            (2, None),
            (3, None)
        ]
    );
    match &out[1] {
        Out::Event { offset, .. } => assert_eq!(&data[*offset as usize..][..5], b"{\"b\":"),
        other => panic!("{other:?}"),
    }
}

/// A document larger than the detection window, one element per line with leading commas, is
/// still one document; newline-delimited JSON whose broken line comes after the window still
/// costs that line only.
#[test]
fn objects_larger_than_the_detection_window() {
    let pad = "p".repeat(200);
    let mut doc = b"{\"Records\":[\n".to_vec();
    for i in 0..10_000 {
        let comma = if i == 0 { "" } else { "," };
        doc.extend_from_slice(format!("{comma}{{\"n\":{i},\"pad\":\"{pad}\"}}\n").as_bytes());
    }
    doc.extend_from_slice(b"]}\n");
    assert!(doc.len() > 1 << 21);
    for data in [doc.clone(), gzip(&doc)] {
        let (res, out) = run_with(&auto(), &["Records"], &data, 65536);
        res.unwrap();
        assert_eq!(events(&out).len(), 10_000);
        assert!(bads(&out).is_empty());
    }

    let mut ndjson = Vec::new();
    for i in 0..10_000 {
        if i == 7000 {
            ndjson.extend_from_slice(b"{\"broken\":\n");
        }
        ndjson.extend_from_slice(format!("{{\"n\":{i},\"pad\":\"{pad}\"}}\n").as_bytes());
    }
    for data in [ndjson.clone(), gzip(&ndjson)] {
        let (_, out) = run_with(&auto(), &[], &data, 65536);
        assert_eq!(events(&out).len(), 10_000);
        assert_eq!(bads(&out).len(), 1);
        assert_eq!(bads(&out)[0].1, 7001);
    }
}
