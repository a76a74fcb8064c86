//! Size and depth limits, and values at the edge of the grammar.

use super::*;

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
