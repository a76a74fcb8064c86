//! Decompression as the framer sees it: every format and member, corrupt and hostile streams.

use super::*;

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
fn gzip_bomb_is_stopped_by_the_ratio_limit() {
    let zeros = vec![b' '; 64 << 20];
    let bomb = gzip_level(&zeros, 9);
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
