//! One value per line: bad lines, blank lines, byte-order marks and CRLF.

use super::*;

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
