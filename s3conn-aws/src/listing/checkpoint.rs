//! [`Checkpoint`]: how far a backfill got, in a file written atomically (a temporary file in the
//! same directory, synced, then renamed over the old one), so a run killed at any moment leaves
//! either the previous checkpoint or the new one.
//!
//! The position is the last key of the contiguous prefix of the listing that was delivered or
//! accounted for; a resumed run lists only the keys after it. `complete` marks a finished run: a
//! rerun lists nothing. The file names its bucket and selection; a checkpoint of another backfill
//! (or a file that is not a checkpoint) is refused, never silently restarted from zero.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::selection::Selection;
use super::ListingError;

/// The `format` of checkpoint files this version writes and reads.
pub const FORMAT: &str = "s3conn-backfill-checkpoint/1";

/// The content of a checkpoint file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The format tag, `s3conn-backfill-checkpoint/1`.
    pub format: String,
    /// The selection it belongs to (bucket, prefixes, start key, range, key date layout).
    pub selection: Value,
    /// The last key of the contiguous prefix done; `None` before the first.
    pub position: Option<String>,
    /// Whether the whole selection was done.
    pub complete: bool,
    /// Objects done (delivered, accounted for or skipped) over all runs.
    pub objects_done: u64,
}

impl Checkpoint {
    /// A fresh checkpoint of `selection`.
    pub fn new(selection: &Selection) -> Checkpoint {
        Checkpoint {
            format: FORMAT.to_owned(),
            selection: serde_json::to_value(selection).unwrap_or(Value::Null),
            position: None,
            complete: false,
            objects_done: 0,
        }
    }
}

/// A checkpoint file.
#[derive(Debug, Clone)]
pub struct CheckpointFile {
    path: PathBuf,
}

impl CheckpointFile {
    /// The checkpoint at `path` (nothing is read or written yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CheckpointFile { path: path.into() }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, reason: String) -> ListingError {
        ListingError::Checkpoint {
            path: self.path.display().to_string(),
            reason,
        }
    }

    /// The checkpoint to resume `selection` from: `None` when the file does not exist; an error
    /// when it cannot be read, is not a checkpoint, or belongs to another selection.
    pub fn load(&self, selection: &Selection) -> Result<Option<Checkpoint>, ListingError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(format!("cannot read: {e}"))),
        };
        let restart = "remove it or pass --restart to start over";
        let found: Checkpoint = serde_json::from_str(&text).map_err(|e| {
            self.error(format!(
                "not a backfill checkpoint (corrupt, or another file): {e}; {restart}"
            ))
        })?;
        if found.format != FORMAT {
            return Err(self.error(format!(
                "format '{}' is not '{FORMAT}'; {restart}",
                found.format
            )));
        }
        let want = Checkpoint::new(selection).selection;
        if found.selection != want {
            let fields = differences(&found.selection, &want);
            return Err(self.error(format!(
                "belongs to another backfill ({} differ: checkpoint has {}, this run {}); use another --checkpoint file, or --restart to start this one over",
                fields.join(", "),
                pick(&found.selection, &fields),
                pick(&want, &fields)
            )));
        }
        Ok(Some(found))
    }

    /// Writes `checkpoint` atomically (temporary file, sync, rename).
    pub fn store(&self, checkpoint: &Checkpoint) -> Result<(), ListingError> {
        let failed = |e: std::io::Error| ListingError::CheckpointWrite {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        };
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".tmp-{}", std::process::id()));
        let tmp = self.path.with_file_name(name);
        let text = serde_json::to_vec_pretty(checkpoint)
            .map_err(std::io::Error::other)
            .map_err(failed)?;
        {
            let mut f = std::fs::File::create(&tmp).map_err(failed)?;
            f.write_all(&text).map_err(failed)?;
            f.write_all(b"\n").map_err(failed)?;
            f.sync_all().map_err(failed)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(failed)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself survives a power loss once the directory is synced (best effort).
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// Keeps a checkpoint current: writes it when the position moved (at most once per
/// `min_interval`, so the file is not rewritten for every batch) and always when the run is
/// complete or [`CheckpointWriter::flush`]ed. Without a file it only tracks the position.
#[derive(Debug)]
pub struct CheckpointWriter {
    file: Option<CheckpointFile>,
    current: Checkpoint,
    dirty: bool,
    last_write: Option<std::time::Instant>,
    min_interval: std::time::Duration,
    error: Option<String>,
}

impl CheckpointWriter {
    /// Opens the checkpoint of `selection`: the file's (resumed), or a fresh one when there is no
    /// file, no checkpoint yet, or `restart`.
    pub fn open(
        file: Option<CheckpointFile>,
        selection: &Selection,
        restart: bool,
    ) -> Result<CheckpointWriter, ListingError> {
        let current = match &file {
            Some(f) if !restart => f.load(selection)?,
            _ => None,
        }
        .unwrap_or_else(|| Checkpoint::new(selection));
        Ok(CheckpointWriter {
            file,
            current,
            dirty: restart,
            last_write: None,
            min_interval: std::time::Duration::from_millis(200),
            error: None,
        })
    }

    /// The checkpoint as it stands (possibly not yet written).
    pub fn current(&self) -> &Checkpoint {
        &self.current
    }

    /// The first write failure, if any (the run must not end as a success).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Records a new position (`done` objects behind it; `complete` when nothing is left).
    pub fn update(&mut self, position: Option<&String>, done: u64, complete: bool) {
        if self.current.position.as_ref() != position
            || self.current.complete != complete
            || self.current.objects_done != done
        {
            self.current.position = position.cloned();
            self.current.objects_done = done;
            self.current.complete = complete;
            self.dirty = true;
        }
        let due = self
            .last_write
            .is_none_or(|at| at.elapsed() >= self.min_interval);
        if self.dirty && (due || complete) {
            self.flush();
        }
    }

    /// Writes the checkpoint now if it changed since the last write.
    pub fn flush(&mut self) {
        if !self.dirty {
            return;
        }
        let Some(file) = &self.file else {
            self.dirty = false;
            return;
        };
        match file.store(&self.current) {
            Ok(()) => {
                self.dirty = false;
                self.last_write = Some(std::time::Instant::now());
            }
            Err(e) => {
                tracing::error!(error = %e, "checkpoint not written");
                self.error.get_or_insert(e.to_string());
            }
        }
    }
}

fn differences(a: &Value, b: &Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return vec!["selection".into()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

fn pick(v: &Value, fields: &[String]) -> String {
    let picked: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| (f.clone(), v.get(f).cloned().unwrap_or(Value::Null)))
        .collect();
    Value::Object(picked).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::KeyDateLayout;

    fn selection(bucket: &str) -> Selection {
        Selection::new(
            bucket,
            &["a/".into()],
            None,
            None,
            None,
            KeyDateLayout::None,
        )
        .unwrap()
    }

    #[test]
    fn round_trip_corrupt_and_foreign() {
        let dir = std::env::temp_dir().join(format!("s3conn-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = CheckpointFile::new(dir.join("c.json"));
        let s = selection("b1");
        assert_eq!(file.load(&s).unwrap(), None);
        let mut c = Checkpoint::new(&s);
        c.position = Some("a/k1".into());
        c.objects_done = 3;
        file.store(&c).unwrap();
        assert_eq!(file.load(&s).unwrap(), Some(c));
        let e = file.load(&selection("b2")).unwrap_err().to_string();
        assert!(
            e.contains("another backfill") && e.contains("bucket") && e.contains("b1"),
            "{e}"
        );
        std::fs::write(file.path(), "{\"format\":").unwrap();
        let e = file.load(&s).unwrap_err().to_string();
        assert!(
            e.contains("not a backfill checkpoint") && e.contains("--restart"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
