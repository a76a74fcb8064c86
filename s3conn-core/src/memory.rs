//! In-memory backends for tests and replay: a queue with real visibility timeouts, and a store.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::queue::{AckHandle, BatchResult, Message, Queue, QueueError};
use crate::store::{GetResult, ObjectMeta, ObjectRef, ObjectStore, StoreError};

#[derive(Debug)]
struct Entry {
    id: String,
    body: String,
    visible_at: Instant,
    receive_count: u32,
    receipt: Option<String>,
    /// Wall-clock send time, epoch milliseconds.
    sent_at_ms: i64,
}

#[derive(Debug, Default)]
struct QueueState {
    entries: BTreeMap<u64, Entry>,
    by_receipt: HashMap<String, u64>,
    next_seq: u64,
    deleted: u64,
}

/// A queue in memory with SQS semantics: leases expire and messages are redelivered.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    state: Mutex<QueueState>,
    notify: Notify,
}

impl MemoryQueue {
    /// An empty queue; each receive names how long its messages stay invisible.
    pub fn new() -> Self {
        MemoryQueue::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a message; returns its id.
    pub fn send(&self, body: impl Into<String>) -> String {
        let id = {
            let mut s = self.lock();
            let seq = s.next_seq;
            s.next_seq += 1;
            let id = format!("m-{seq}");
            s.entries.insert(
                seq,
                Entry {
                    id: id.clone(),
                    body: body.into(),
                    visible_at: Instant::now(),
                    receive_count: 0,
                    receipt: None,
                    sent_at_ms: crate::time::now_ms(),
                },
            );
            id
        };
        self.notify.notify_waiters();
        id
    }

    /// Messages not yet deleted (visible or not).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether every message was deleted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Messages deleted so far.
    pub fn deleted(&self) -> u64 {
        self.lock().deleted
    }

    /// How often the message with this id was received.
    pub fn receive_count(&self, id: &str) -> Option<u32> {
        self.lock()
            .entries
            .values()
            .find(|e| e.id == id)
            .map(|e| e.receive_count)
    }

    /// The earliest time a message is (or becomes again) visible, if it holds any.
    fn next_visible(s: &QueueState) -> Option<Instant> {
        s.entries.values().map(|e| e.visible_at).min()
    }

    fn current(s: &QueueState, handle: &AckHandle) -> Option<u64> {
        let seq = *s.by_receipt.get(handle.as_str())?;
        let entry = s.entries.get(&seq)?;
        (entry.receipt.as_deref() == Some(handle.as_str())).then_some(seq)
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn receive(
        &self,
        max: usize,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<Message>, QueueError> {
        let deadline = Instant::now() + wait;
        loop {
            let notified = self.notify.notified();
            let next_visible = {
                let mut s = self.lock();
                let now = Instant::now();
                let mut out = Vec::new();
                let mut next: Option<Instant> = None;
                let mut receipts = Vec::new();
                for (seq, e) in s.entries.iter_mut() {
                    if e.visible_at <= now {
                        if out.len() < max {
                            e.receive_count += 1;
                            e.visible_at = now + visibility;
                            let receipt = format!("{}#{}", e.id, e.receive_count);
                            e.receipt = Some(receipt.clone());
                            receipts.push((receipt.clone(), *seq));
                            out.push(Message {
                                handle: AckHandle(receipt),
                                id: e.id.clone(),
                                attempt: e.receive_count,
                                body: e.body.clone(),
                                sent_at_ms: Some(e.sent_at_ms),
                            });
                        }
                    } else {
                        next = Some(next.map_or(e.visible_at, |n: Instant| n.min(e.visible_at)));
                    }
                }
                for (r, seq) in receipts {
                    s.by_receipt.insert(r, seq);
                }
                if !out.is_empty() {
                    return Ok(out);
                }
                next
            };
            let now = Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            let until = next_visible.map_or(deadline, |n| n.min(deadline));
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(until) => {}
            }
        }
    }

    /// A memory queue is only fed by its owner, so it can tell: nothing visible now and no lease
    /// running out within `within` means a receive would wait in vain (unless a message is sent).
    fn known_idle(&self, within: Duration) -> bool {
        let s = self.lock();
        Self::next_visible(&s).is_none_or(|at| at > Instant::now() + within)
    }

    async fn acknowledge(&self, handles: &[AckHandle]) -> BatchResult {
        let mut s = self.lock();
        handles
            .iter()
            .map(|h| {
                if let Some(seq) = Self::current(&s, h) {
                    s.entries.remove(&seq);
                    s.deleted += 1;
                }
                s.by_receipt.remove(h.as_str());
                Ok(())
            })
            .collect()
    }

    async fn extend(&self, handles: &[AckHandle], visibility: Duration) -> BatchResult {
        let mut s = self.lock();
        let now = Instant::now();
        handles
            .iter()
            .map(|h| {
                let seq = Self::current(&s, h).ok_or_else(|| QueueError::LeaseLost(h.0.clone()))?;
                let entry = s
                    .entries
                    .get_mut(&seq)
                    .ok_or_else(|| QueueError::LeaseLost(h.0.clone()))?;
                if entry.visible_at <= now {
                    return Err(QueueError::LeaseLost(h.0.clone()));
                }
                entry.visible_at = now + visibility;
                Ok(())
            })
            .collect()
    }

    async fn release(&self, handle: &AckHandle) -> Result<(), QueueError> {
        {
            let mut s = self.lock();
            let seq =
                Self::current(&s, handle).ok_or_else(|| QueueError::LeaseLost(handle.0.clone()))?;
            if let Some(e) = s.entries.get_mut(&seq) {
                e.visible_at = Instant::now();
                e.receipt = None;
            }
            s.by_receipt.remove(handle.as_str());
        }
        self.notify.notify_waiters();
        Ok(())
    }
}

/// A fault to inject into the next read of an object.
#[derive(Debug)]
pub enum Fault {
    /// `get` fails with this error.
    Fail(StoreError),
    /// The body breaks off with a transient error after this many bytes.
    TruncateAfter(usize),
}

#[derive(Debug, Clone)]
struct StoredObject {
    data: Bytes,
    meta: ObjectMeta,
}

#[derive(Debug, Default)]
struct StoreState {
    objects: HashMap<(String, String), Vec<StoredObject>>,
    faults: HashMap<(String, String), VecDeque<Fault>>,
    gets: u64,
}

/// An object store in memory, with versions, eTags and injectable faults.
#[derive(Debug, Default)]
pub struct MemoryObjectStore {
    state: Mutex<StoreState>,
    chunk_size: usize,
}

impl MemoryObjectStore {
    /// An empty store streaming bodies in 64 KiB chunks.
    pub fn new() -> Self {
        MemoryObjectStore {
            state: Mutex::default(),
            chunk_size: 64 * 1024,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StoreState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores a new version of an object; returns its metadata (eTag, version id).
    pub fn put(&self, bucket: &str, key: &str, data: impl Into<Bytes>) -> ObjectMeta {
        let data = data.into();
        let mut s = self.lock();
        let versions = s
            .objects
            .entry((bucket.to_owned(), key.to_owned()))
            .or_default();
        let version = versions.len() + 1;
        let mut hash: u64 = 0xcbf29ce484222325;
        for b in data.iter() {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x100000001b3);
        }
        let meta = ObjectMeta {
            size: data.len() as u64,
            etag: Some(format!("{hash:016x}{version:04x}")),
            version_id: Some(format!("v{version}")),
            content_type: None,
            content_encoding: None,
            last_modified_ms: Some(1_700_000_000_000 + version as i64),
        };
        versions.push(StoredObject {
            data,
            meta: meta.clone(),
        });
        meta
    }

    /// Deletes every version of an object.
    pub fn delete(&self, bucket: &str, key: &str) {
        self.lock()
            .objects
            .remove(&(bucket.to_owned(), key.to_owned()));
    }

    /// Injects a fault into the next read of this object.
    pub fn inject(&self, bucket: &str, key: &str, fault: Fault) {
        self.lock()
            .faults
            .entry((bucket.to_owned(), key.to_owned()))
            .or_default()
            .push_back(fault);
    }

    /// How many `get` calls were made.
    pub fn gets(&self) -> u64 {
        self.lock().gets
    }
}

#[async_trait]
impl ObjectStore for MemoryObjectStore {
    async fn get(&self, location: &ObjectRef) -> Result<GetResult, StoreError> {
        let id = (location.bucket.clone(), location.key.clone());
        let (object, truncate) = {
            let mut s = self.lock();
            s.gets += 1;
            let fault = s.faults.get_mut(&id).and_then(VecDeque::pop_front);
            let truncate = match fault {
                Some(Fault::Fail(e)) => return Err(e),
                Some(Fault::TruncateAfter(n)) => Some(n),
                None => None,
            };
            let versions = s
                .objects
                .get(&id)
                .ok_or_else(|| StoreError::NotFound(location.to_string()))?;
            let object = if let Some(v) = &location.version_id {
                versions
                    .iter()
                    .find(|o| o.meta.version_id.as_deref() == Some(v.as_str()))
                    .ok_or_else(|| StoreError::NotFound(location.to_string()))?
            } else {
                let latest = versions
                    .last()
                    .ok_or_else(|| StoreError::NotFound(location.to_string()))?;
                if let Some(etag) = &location.etag {
                    if latest.meta.etag.as_deref() != Some(etag.as_str()) {
                        return Err(StoreError::PreconditionFailed(location.to_string()));
                    }
                }
                latest
            };
            (object.clone(), truncate)
        };
        let limit = truncate.unwrap_or(object.data.len()).min(object.data.len());
        let mut chunks: Vec<Result<Bytes, StoreError>> = Vec::new();
        let mut at = 0;
        while at < limit {
            let end = (at + self.chunk_size).min(limit);
            chunks.push(Ok(object.data.slice(at..end)));
            at = end;
        }
        if truncate.is_some() {
            chunks.push(Err(StoreError::Transient(format!(
                "connection reset after {limit} bytes of {location}"
            ))));
        }
        Ok(GetResult {
            meta: object.meta,
            body: Box::pin(stream::iter(chunks)),
        })
    }
}

#[cfg(test)]
mod tests;
