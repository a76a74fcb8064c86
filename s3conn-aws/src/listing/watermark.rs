//! The contiguous done prefix of the listing order: a position is recorded only once everything
//! listed before it was delivered or accounted for.

use std::collections::BTreeMap;

/// Listed objects not yet behind the watermark, by their place in the listing order.
#[derive(Debug, Default)]
pub(crate) struct Watermark {
    next: u64,
    pending: BTreeMap<u64, (String, bool)>,
    position: Option<String>,
    done: u64,
}

impl Watermark {
    /// A watermark resuming at `position` with `done` objects behind it.
    pub fn new(position: Option<String>, done: u64) -> Self {
        Watermark {
            position,
            done,
            ..Watermark::default()
        }
    }

    /// Adds the next listed key (already `done` when the selection skips it); returns its place.
    pub fn push(&mut self, key: String, done: bool) -> u64 {
        let at = self.next;
        self.next += 1;
        self.pending.insert(at, (key, done));
        at
    }

    /// Marks the object at `at` done.
    pub fn complete(&mut self, at: u64) {
        if let Some(entry) = self.pending.get_mut(&at) {
            entry.1 = true;
        }
    }

    /// Moves the watermark over the done prefix; whether it moved.
    pub fn advance(&mut self) -> bool {
        let mut moved = false;
        while let Some(first) = self.pending.first_entry() {
            if !first.get().1 {
                break;
            }
            let (key, _) = first.remove();
            self.position = Some(key);
            self.done += 1;
            moved = true;
        }
        moved
    }

    /// The last key of the done prefix.
    pub fn position(&self) -> Option<&String> {
        self.position.as_ref()
    }

    /// Objects behind the watermark.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Whether nothing listed is outstanding.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_only_over_the_contiguous_done_prefix() {
        let mut w = Watermark::new(Some("a".into()), 5);
        let b = w.push("b".into(), false);
        let _c = w.push("c".into(), true);
        let d = w.push("d".into(), false);
        w.complete(d);
        assert!(!w.advance(), "b is not done: nothing moves");
        assert_eq!(w.position().map(String::as_str), Some("a"));
        w.complete(b);
        assert!(w.advance());
        assert_eq!(w.position().map(String::as_str), Some("d"));
        assert_eq!(w.done(), 8);
        assert!(w.is_empty());
    }
}
