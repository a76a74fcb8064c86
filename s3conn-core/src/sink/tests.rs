//! The local sinks and dead-letter destinations against the contract suites, plus what only
//! they do.

use serde_json::Value;

use super::*;
use crate::testing::{
    dead_letter_conformance, files_under, sample_dead_letters, sink_conformance, DeadLetterFixture,
    SinkFixture,
};

/// Every line of every file under `dir`, parsed.
fn json_lines_under(dir: &Path) -> Vec<Value> {
    files_under(dir)
        .iter()
        .flat_map(|f| {
            fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<Value>>()
        })
        .collect()
}

#[async_trait]
impl SinkFixture for MemorySink {
    fn sink(&self) -> &dyn Sink {
        self
    }
    async fn delivered(&self) -> Vec<Value> {
        self.records()
            .iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect()
    }
}

#[tokio::test]
async fn memory_sink_keeps_the_sink_contract() {
    sink_conformance(&MemorySink::new()).await;
}

/// An `NdjsonSink` appending to a file in a temporary directory.
struct NdjsonFile {
    dir: tempfile::TempDir,
    sink: NdjsonSink<BufWriter<File>>,
}

impl NdjsonFile {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sink = NdjsonSink::file(&dir.path().join("out.ndjson")).unwrap();
        NdjsonFile { dir, sink }
    }
}

#[async_trait]
impl SinkFixture for NdjsonFile {
    fn sink(&self) -> &dyn Sink {
        &self.sink
    }
    async fn delivered(&self) -> Vec<Value> {
        // Read while the sink still holds its buffered writer: `Ok` means flushed.
        json_lines_under(self.dir.path())
    }
}

#[tokio::test]
async fn ndjson_sink_keeps_the_sink_contract() {
    sink_conformance(&NdjsonFile::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ndjson_sink_keeps_the_sink_contract_on_a_multi_threaded_runtime() {
    sink_conformance(&NdjsonFile::new()).await;
}

#[async_trait]
impl DeadLetterFixture for MemoryDeadLetterSink {
    fn sink(&self) -> &dyn DeadLetterSink {
        self
    }
    async fn stored(&self) -> Vec<Value> {
        self.items()
            .iter()
            .map(|d| serde_json::to_value(d).unwrap())
            .collect()
    }
}

#[tokio::test]
async fn memory_dead_letters_keep_the_dead_letter_contract() {
    dead_letter_conformance(&MemoryDeadLetterSink::new()).await;
}

/// A `DirectoryDeadLetterSink` writing under a temporary directory.
struct DeadLetterDirectory {
    dir: tempfile::TempDir,
    sink: DirectoryDeadLetterSink,
}

#[async_trait]
impl DeadLetterFixture for DeadLetterDirectory {
    fn sink(&self) -> &dyn DeadLetterSink {
        &self.sink
    }
    async fn stored(&self) -> Vec<Value> {
        json_lines_under(self.dir.path())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_dead_letters_keep_the_dead_letter_contract() {
    let dir = tempfile::tempdir().unwrap();
    let sink = DirectoryDeadLetterSink::new(dir.path().join("dead"));
    dead_letter_conformance(&DeadLetterDirectory { dir, sink }).await;
}

#[tokio::test]
async fn directory_dead_letters_create_one_file_on_first_use() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("nested/dead");
    let sink = DirectoryDeadLetterSink::new(&root);
    sink.dead_letter(&[]).await.unwrap();
    assert!(!root.exists(), "nothing created before the first item");
    assert_eq!(sink.path(), None);
    sink.dead_letter(&sample_dead_letters("a", 2))
        .await
        .unwrap();
    sink.dead_letter(&sample_dead_letters("b", 3))
        .await
        .unwrap();
    let path = sink.path().unwrap();
    assert!(path.starts_with(&root));
    assert_eq!(files_under(&root), vec![path]);
    // Raw bytes are base64 in the file.
    let first = &json_lines_under(&root)[0];
    assert_eq!(first["raw"], "//4AcmF3IGEA");
    assert_eq!(json_lines_under(&root).len(), 5);
}
