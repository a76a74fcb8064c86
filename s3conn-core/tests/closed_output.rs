//! A file sink whose file or directory was removed is a closed output: the batch went to an
//! unlinked file, so it must not be reported delivered (nor retried for ever).

#![allow(clippy::unwrap_used)]

use s3conn_core::sink::NdjsonSink;
use s3conn_core::testing::sample_records;
use s3conn_core::{Sink, SinkError};

#[tokio::test]
async fn a_removed_output_directory_closes_the_file_sink() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records");
    std::fs::create_dir_all(&out).unwrap();
    let path = out.join("records.ndjson");
    let sink = NdjsonSink::file(&path).unwrap();
    let records = sample_records("a", 3);
    sink.deliver(&records).await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);

    std::fs::remove_dir_all(&out).unwrap();
    let err = sink.deliver(&records).await.unwrap_err();
    assert!(matches!(err, SinkError::Closed(_)), "{err:?}");
    assert!(err.to_string().contains("was removed"), "{err}");
}

#[tokio::test]
async fn a_replaced_output_file_closes_the_file_sink() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.ndjson");
    let sink = NdjsonSink::file(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"").unwrap();
    let err = sink.deliver(&sample_records("b", 1)).await.unwrap_err();
    assert!(matches!(err, SinkError::Closed(_)), "{err:?}");
}
