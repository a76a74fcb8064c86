//! `LocalObjectStore`: objects are files under a root directory per bucket (replay, tests).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use futures::StreamExt;
use tokio_util::io::ReaderStream;

use crate::store::{GetResult, ObjectMeta, ObjectRef, ObjectStore, StoreError};

/// Serves each bucket from a directory; a key can never escape its bucket's root.
#[derive(Debug, Default, Clone)]
pub struct LocalObjectStore {
    roots: BTreeMap<String, PathBuf>,
}

impl LocalObjectStore {
    /// A store with no buckets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `bucket` from the directory `root`.
    pub fn with_bucket(mut self, bucket: impl Into<String>, root: impl Into<PathBuf>) -> Self {
        self.roots.insert(bucket.into(), root.into());
        self
    }

    /// The file a key maps to, or an error when the key is not a plain relative path.
    pub fn resolve(&self, bucket: &str, key: &str) -> Result<PathBuf, StoreError> {
        let root = self.roots.get(bucket).ok_or_else(|| {
            StoreError::NotFound(format!(
                "bucket '{bucket}' is not served by this local store"
            ))
        })?;
        if key.is_empty() || key.contains('\0') || key.contains('\\') {
            return Err(StoreError::InvalidKey(format!(
                "key {key:?} is not a plain relative path"
            )));
        }
        let rel = Path::new(key);
        for c in rel.components() {
            if !matches!(c, Component::Normal(_)) {
                return Err(StoreError::InvalidKey(format!(
                    "key {key:?} escapes the bucket root"
                )));
            }
        }
        let path = root.join(rel);
        // Symbolic links may point anywhere: the canonical path must stay under the canonical root.
        if let (Ok(real), Ok(real_root)) = (path.canonicalize(), root.canonicalize()) {
            if !real.starts_with(&real_root) {
                return Err(StoreError::InvalidKey(format!(
                    "key {key:?} escapes the bucket root"
                )));
            }
        }
        Ok(path)
    }
}

#[async_trait]
impl ObjectStore for LocalObjectStore {
    async fn get(&self, location: &ObjectRef) -> Result<GetResult, StoreError> {
        let path = self.resolve(&location.bucket, &location.key)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => StoreError::NotFound(location.to_string()),
                std::io::ErrorKind::PermissionDenied => {
                    StoreError::PermissionDenied(format!("{}: {e}", path.display()))
                }
                _ => StoreError::Transient(format!("{}: {e}", path.display())),
            })?;
        let md = file
            .metadata()
            .await
            .map_err(|e| StoreError::Transient(format!("{}: {e}", path.display())))?;
        if !md.is_file() {
            return Err(StoreError::NotFound(format!("{location} is not a file")));
        }
        let mtime = md
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        let etag = format!("{:x}-{:x}", mtime.map_or(0, |d| d.as_nanos()), md.len());
        if location.version_id.is_none() {
            if let Some(want) = &location.etag {
                if *want != etag {
                    return Err(StoreError::PreconditionFailed(location.to_string()));
                }
            }
        }
        let meta = ObjectMeta {
            size: md.len(),
            etag: Some(etag),
            version_id: None,
            content_type: None,
            content_encoding: None,
            last_modified_ms: mtime.map(|d| d.as_millis() as i64),
        };
        let display = location.to_string();
        let body = ReaderStream::with_capacity(file, 256 * 1024)
            .map(move |r| r.map_err(|e| StoreError::Transient(format!("reading {display}: {e}"))))
            .boxed();
        Ok(GetResult { meta, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ObjectStoreExt;
    use crate::testing::{store_conformance, StoreConformance, StoreFixture};

    /// A local store serving bucket `b` from a temporary directory.
    struct LocalStore {
        dir: tempfile::TempDir,
        store: LocalObjectStore,
    }

    #[async_trait]
    impl StoreFixture for LocalStore {
        fn store(&self) -> &dyn ObjectStore {
            &self.store
        }
        fn bucket(&self) -> &str {
            "b"
        }
        fn versioned(&self) -> bool {
            false
        }
        async fn put(&self, key: &str, data: Vec<u8>) {
            let path = self.dir.path().join(key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, data).unwrap();
        }
        async fn delete(&self, key: &str, _version_id: Option<&str>) {
            std::fs::remove_file(self.dir.path().join(key)).unwrap();
        }
    }

    #[tokio::test]
    async fn local_store_keeps_the_store_contract() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalObjectStore::new().with_bucket("b", dir.path());
        store_conformance(&LocalStore { dir, store }, &StoreConformance::default()).await;
    }

    #[tokio::test]
    async fn reads_files_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.json"), b"{}").unwrap();
        std::fs::write(dir.path().parent().unwrap().join("outside-secret"), b"x").ok();
        let store = LocalObjectStore::new().with_bucket("b", dir.path());
        let (meta, bytes) = store
            .get_bytes(&ObjectRef::new("b", "sub/a.json"))
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"{}");
        assert_eq!(meta.size, 2);
        for bad in [
            "../outside-secret",
            "/etc/passwd",
            "sub/../../x",
            "",
            "a\\b",
        ] {
            let err = store
                .get_bytes(&ObjectRef::new("b", bad))
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::InvalidKey(_)), "{bad}: {err}");
        }
        assert!(matches!(
            store.get_bytes(&ObjectRef::new("b", "missing")).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store
                .get_bytes(&ObjectRef::new("other", "sub/a.json"))
                .await,
            Err(StoreError::NotFound(_))
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link")).unwrap();
            assert!(matches!(
                store.get_bytes(&ObjectRef::new("b", "link")).await,
                Err(StoreError::InvalidKey(_))
            ));
        }
    }
}
