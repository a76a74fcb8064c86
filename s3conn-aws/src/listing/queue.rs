//! [`ListingQueue`]: a [`Queue`] over an S3 listing. Each listed object the selection takes is a
//! message whose body is the S3 event notification S3 would have sent for it ([`event_body`]),
//! so the pipeline parses, filters, fetches, decodes, delivers, dead-letters and acknowledges it
//! as any notification. Leases, redelivery and attempts are those of [`MemoryQueue`], which holds
//! at most `window` listed objects at a time (memory stays bounded whatever the bucket size).
//!
//! An acknowledgement marks its object done; the [`CheckpointWriter`] records the last key of
//! the contiguous done prefix of the listing order, so a position is never ahead of an object
//! still in flight or kept for redelivery.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use s3conn_core::memory::MemoryQueue;
use s3conn_core::queue::BatchResult;
use s3conn_core::{AckHandle, Message, Queue, QueueError};

use super::checkpoint::{Checkpoint, CheckpointWriter};
use super::event::event_body;
use super::lister::{Lister, ListingCounts};
use super::watermark::Watermark;
use crate::requests::RequestCounts;

/// How long a receive waits at least for room in a full window before answering empty.
const WINDOW_WAIT: Duration = Duration::from_secs(3);

/// Listed objects held at most (sent to the pipeline, not yet acknowledged).
pub const DEFAULT_WINDOW: usize = 1000;

struct State {
    /// Memory queue message id → place in the listing order.
    ids: HashMap<String, u64>,
    /// Receipt handle → message id.
    handles: HashMap<String, String>,
    watermark: Watermark,
    checkpoint: CheckpointWriter,
    counts: ListingCounts,
    requests: RequestCounts,
    list_retries: u64,
}

/// A queue whose messages are the objects of a listing (see the module documentation).
pub struct ListingQueue {
    memory: MemoryQueue,
    lister: tokio::sync::Mutex<Lister>,
    state: Mutex<State>,
    exhausted: AtomicBool,
    bucket: String,
    region: String,
    window: usize,
}

impl fmt::Debug for ListingQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListingQueue")
            .field("bucket", &self.bucket)
            .field("exhausted", &self.exhausted)
            .finish_non_exhaustive()
    }
}

impl ListingQueue {
    /// A queue over `lister`'s objects, whose events name `region`, recording its position with
    /// `checkpoint`. A complete checkpoint makes an empty queue. The lister must start after the
    /// checkpoint's position (see [`Lister::new`]).
    pub fn new(lister: Lister, region: impl Into<String>, checkpoint: CheckpointWriter) -> Self {
        let c = checkpoint.current();
        let watermark = Watermark::new(c.position.clone(), c.objects_done);
        let exhausted = c.complete;
        ListingQueue {
            memory: MemoryQueue::new(),
            bucket: lister.selection().bucket.clone(),
            lister: tokio::sync::Mutex::new(lister),
            state: Mutex::new(State {
                ids: HashMap::new(),
                handles: HashMap::new(),
                watermark,
                checkpoint,
                counts: ListingCounts::default(),
                requests: RequestCounts::default(),
                list_retries: 0,
            }),
            exhausted: AtomicBool::new(exhausted),
            region: region.into(),
            window: DEFAULT_WINDOW,
        }
    }

    /// The same holding at most `window` listed objects at a time.
    pub fn with_window(mut self, window: usize) -> Self {
        self.window = window.max(1);
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What the listing has seen so far.
    pub fn counts(&self) -> ListingCounts {
        self.lock().counts.clone()
    }

    /// The ListObjectsV2 requests of the listing so far.
    pub fn requests(&self) -> RequestCounts {
        self.lock().requests
    }

    /// Retries of ListObjectsV2 so far.
    pub fn list_retries(&self) -> u64 {
        self.lock().list_retries
    }

    /// Whether the listing is exhausted (every selected object was handed out).
    pub fn exhausted(&self) -> bool {
        self.exhausted.load(Ordering::Acquire)
    }

    /// The checkpoint as it stands, after writing what is pending.
    pub fn flush_checkpoint(&self) -> Checkpoint {
        let mut st = self.lock();
        st.checkpoint.flush();
        st.checkpoint.current().clone()
    }

    /// The first checkpoint write failure, if any.
    pub fn checkpoint_error(&self) -> Option<String> {
        self.lock().checkpoint.error().map(str::to_owned)
    }

    fn record(&self, st: &mut State) {
        st.watermark.advance();
        let complete = self.exhausted() && st.watermark.is_empty();
        let (position, done) = (st.watermark.position().cloned(), st.watermark.done());
        st.checkpoint.update(position.as_ref(), done, complete);
    }

    /// Lists more while fewer than `window` objects are held.
    async fn top_up(&self) -> Result<(), QueueError> {
        if self.exhausted() || self.memory.len() >= self.window {
            return Ok(());
        }
        let mut lister = self.lister.lock().await;
        while !self.exhausted() && self.memory.len() < self.window {
            let page = lister.next_page().await;
            let mut st = self.lock();
            st.counts = lister.counts().clone();
            st.requests = lister.requests();
            st.list_retries = lister.retries();
            match page {
                Ok(Some(page)) => {
                    for l in page {
                        let skipped = l.skip.is_some();
                        let at = st.watermark.push(l.key.clone(), skipped);
                        if !skipped {
                            let id = self.memory.send(event_body(&self.bucket, &self.region, &l));
                            st.ids.insert(id, at);
                        }
                    }
                    self.record(&mut st);
                }
                Ok(None) => {
                    self.exhausted.store(true, Ordering::Release);
                    self.record(&mut st);
                }
                Err(e) => return Err(e.into_queue_error()),
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Queue for ListingQueue {
    async fn receive(
        &self,
        max: usize,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<Message>, QueueError> {
        // While the listing goes on, an empty answer would end a draining pipeline: wait for
        // acknowledgements (they linger up to half a second) to make room in the window, up
        // to `wait` and at least WINDOW_WAIT. Only a window still full after that (objects kept
        // for redelivery later) is answered empty.
        let deadline = tokio::time::Instant::now() + wait.max(WINDOW_WAIT);
        let messages = loop {
            self.top_up().await?;
            let exhausted = self.exhausted();
            let step = if exhausted {
                wait
            } else {
                wait.min(Duration::from_millis(100))
            };
            let got = self.memory.receive(max, step, visibility).await?;
            if !got.is_empty() || exhausted || tokio::time::Instant::now() >= deadline {
                break got;
            }
        };
        let mut st = self.lock();
        for m in &messages {
            st.handles.insert(m.handle.0.clone(), m.id.clone());
        }
        Ok(messages)
    }

    async fn acknowledge(&self, handles: &[AckHandle]) -> BatchResult {
        let results = self.memory.acknowledge(handles).await;
        let mut st = self.lock();
        for h in handles {
            let Some(id) = st.handles.remove(h.as_str()) else {
                continue;
            };
            // Deleted (not a stale handle of a message redelivered since): its object is done.
            if self.memory.receive_count(&id).is_none() {
                if let Some(at) = st.ids.remove(&id) {
                    st.watermark.complete(at);
                }
            }
        }
        self.record(&mut st);
        results
    }

    async fn extend(&self, handles: &[AckHandle], visibility: Duration) -> BatchResult {
        self.memory.extend(handles, visibility).await
    }

    async fn release(&self, handle: &AckHandle) -> Result<(), QueueError> {
        self.memory.release(handle).await
    }

    /// Idle once the listing is exhausted and the held objects are all done or leased beyond
    /// `within`.
    fn known_idle(&self, within: Duration) -> bool {
        self.exhausted() && self.memory.known_idle(within)
    }
}
