//! Listing the files of a test directory.

use std::path::{Path, PathBuf};

/// Every file under `dir`, recursively, sorted (nothing when `dir` cannot be read).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_nested_files_sorted() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("b/c")).expect("mkdir");
        for f in ["b/c/z", "a", "b/y"] {
            std::fs::write(dir.path().join(f), b"").expect("write");
        }
        let got: Vec<_> = super::files_under(dir.path())
            .into_iter()
            .map(|p| p.strip_prefix(dir.path()).expect("under dir").to_path_buf())
            .collect();
        assert_eq!(got, ["a", "b/c/z", "b/y"].map(std::path::PathBuf::from));
        assert!(super::files_under(&dir.path().join("missing")).is_empty());
    }
}
