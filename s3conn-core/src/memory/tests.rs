//! `MemoryQueue` and `MemoryObjectStore` against the contract suites, plus what only they do
//! (filling every batch, counters, fault injection).

use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::store::ObjectStoreExt;
use crate::testing::{
    queue_conformance, store_conformance, QueueConformance, QueueFixture, StoreConformance,
    StoreFixture,
};

/// Fresh memory queues for the queue suite.
struct MemoryQueues;

#[async_trait]
impl QueueFixture for MemoryQueues {
    type Queue = MemoryQueue;

    async fn empty_queue(&self) -> MemoryQueue {
        MemoryQueue::new()
    }

    async fn send(&self, queue: &MemoryQueue, bodies: &[String]) {
        for body in bodies {
            queue.send(body.clone());
        }
    }
}

#[tokio::test(start_paused = true)]
async fn memory_queue_keeps_the_queue_contract() {
    queue_conformance(&MemoryQueues, &QueueConformance::default()).await;
    // Leases of any length: the clock is paused, so long ones cost nothing.
    queue_conformance(
        &MemoryQueues,
        &QueueConformance {
            visibility: Duration::from_secs(30),
            wait: Duration::from_secs(5),
            superseded_handles_lost: true,
        },
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn receive_fills_every_batch_it_can() {
    let q = MemoryQueue::new();
    for i in 0..15 {
        q.send(format!("{i}"));
    }
    let vis = Duration::from_secs(10);
    assert_eq!(q.receive(10, Duration::ZERO, vis).await.unwrap().len(), 10);
    assert_eq!(q.receive(10, Duration::ZERO, vis).await.unwrap().len(), 5);
}

#[tokio::test(start_paused = true)]
async fn counters_follow_deliveries_and_deletions() {
    let q = MemoryQueue::new();
    let id = q.send("hello");
    assert_eq!(q.receive_count(&id), Some(0));
    let vis = Duration::from_secs(30);
    let first = q.receive(10, Duration::ZERO, vis).await.unwrap();
    let again = q.receive(10, Duration::from_secs(60), vis).await.unwrap();
    assert_eq!(q.receive_count(&id), Some(2));
    // Deleting with the superseded handle deletes nothing.
    assert!(q.acknowledge(&[first[0].handle.clone()]).await[0].is_ok());
    assert_eq!(q.len(), 1);
    assert_eq!(q.deleted(), 0);
    assert!(q.acknowledge(&[again[0].handle.clone()]).await[0].is_ok());
    assert!(q.is_empty());
    assert_eq!(q.deleted(), 1);
    assert_eq!(q.receive_count(&id), None);
}

/// The memory store, its bucket `b`.
struct MemoryStore(MemoryObjectStore);

#[async_trait]
impl StoreFixture for MemoryStore {
    fn store(&self) -> &dyn ObjectStore {
        &self.0
    }
    fn bucket(&self) -> &str {
        "b"
    }
    fn versioned(&self) -> bool {
        true
    }
    async fn put(&self, key: &str, data: Vec<u8>) {
        self.0.put("b", key, data);
    }
    async fn delete(&self, key: &str, _version_id: Option<&str>) {
        // The memory store deletes every version at once.
        self.0.delete("b", key);
    }
}

#[tokio::test]
async fn memory_store_keeps_the_store_contract() {
    store_conformance(
        &MemoryStore(MemoryObjectStore::new()),
        &StoreConformance::default(),
    )
    .await;
}

#[tokio::test]
async fn injected_faults_hit_the_next_read_only() {
    let s = MemoryObjectStore::new();
    let v1 = s.put("b", "k", &b"one"[..]);
    let v2 = s.put("b", "k", &b"two"[..]);
    assert_eq!(v1.version_id.as_deref(), Some("v1"));
    let mut r = ObjectRef::new("b", "k");
    r.etag = v2.etag.clone();
    s.inject("b", "k", Fault::TruncateAfter(1));
    assert!(matches!(
        s.get_bytes(&r).await,
        Err(StoreError::Transient(_))
    ));
    assert_eq!(&s.get_bytes(&r).await.unwrap().1[..], b"two");
    s.inject(
        "b",
        "k",
        Fault::Fail(StoreError::Throttled("slow down".into())),
    );
    assert!(matches!(
        s.get_bytes(&r).await,
        Err(StoreError::Throttled(_))
    ));
    assert_eq!(&s.get_bytes(&r).await.unwrap().1[..], b"two");
    assert_eq!(s.gets(), 4);
}
