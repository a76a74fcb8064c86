//! The contract suite of [`Queue`]: receive, leases, acknowledge, extend and release.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;

use crate::queue::{AckHandle, Message, Queue, QueueError};

/// Makes the queues [`queue_conformance`] runs on, and puts messages on them (the one operation
/// the [`Queue`] trait leaves to each backend).
#[async_trait]
pub trait QueueFixture: Send + Sync {
    /// The queue under test.
    type Queue: Queue;

    /// A new, empty queue: each scenario of the suite runs on its own.
    async fn empty_queue(&self) -> Self::Queue;

    /// Puts one message per body on `queue`, in order (panics when it cannot).
    async fn send(&self, queue: &Self::Queue, bodies: &[String]);
}

/// Options of [`queue_conformance`]; the defaults suit a real service (whole seconds, each
/// scenario a few seconds long, all scenarios at once).
#[derive(Debug, Clone)]
pub struct QueueConformance {
    /// The lease every receive asks for (default 2 s). Long polls last up to twice this plus
    /// `wait`, which must stay within the backend's longest wait (20 s for SQS).
    pub visibility: Duration,
    /// How long a receive that expects a message long-polls (default 1 s; below `visibility`).
    pub wait: Duration,
    /// Whether a handle superseded by a later delivery of its message is refused with
    /// `QueueError::LeaseLost` (default `true`, as SQS does; moto accepts every handle a message
    /// ever had, so its tests turn this off).
    pub superseded_handles_lost: bool,
}

impl Default for QueueConformance {
    fn default() -> Self {
        QueueConformance {
            visibility: Duration::from_secs(2),
            wait: Duration::from_secs(1),
            superseded_handles_lost: true,
        }
    }
}

/// Checks the `# Contract` of [`Queue`] on queues made by `fixture`; panics on the first breach.
///
/// The scenarios run concurrently, each on its own queue: every message received exactly once,
/// at most `max` per receive, acknowledged, extended and acknowledged again per handle (more than
/// ten, the SQS batch size); empty batches and `max` 0; a lease hiding its message until it ends,
/// then redelivery with the next attempt; `extend` keeping a message hidden past its first lease;
/// `release` redelivering at once; lost leases reported per handle (`LeaseLost`); a long poll
/// waking when a message arrives. No scenario relies on an empty receive lasting its whole wait.
pub async fn queue_conformance<F: QueueFixture>(fixture: &F, options: &QueueConformance) {
    assert!(
        options.wait < options.visibility,
        "QueueConformance: wait must be shorter than visibility"
    );
    let scenarios: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> = vec![
        Box::pin(each_message_once(fixture, options)),
        Box::pin(empty_batches_and_zero_max(fixture, options)),
        Box::pin(lease_hides_until_it_ends(fixture, options)),
        Box::pin(extend_and_release(fixture, options)),
        Box::pin(lost_leases_per_handle(fixture, options)),
        Box::pin(long_poll_wakes_on_send(fixture, options)),
    ];
    futures::future::join_all(scenarios).await;
}

fn bodies(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{{\"{prefix}\":{i}}}")).collect()
}

fn handles(messages: &[Message]) -> Vec<AckHandle> {
    messages.iter().map(|m| m.handle.clone()).collect()
}

/// Receives (long polls of `wait`) until `n` messages arrived or a receive comes back empty.
async fn receive_n<Q: Queue>(q: &Q, n: usize, o: &QueueConformance) -> Vec<Message> {
    let mut out = Vec::new();
    while out.len() < n {
        let batch = q
            .receive(10, o.wait, o.visibility)
            .await
            .expect("receive succeeds");
        assert!(
            batch.len() <= 10,
            "receive(10, ..) returned {}",
            batch.len()
        );
        if batch.is_empty() {
            break;
        }
        out.extend(batch);
    }
    out
}

/// One message expected now (after a long poll of `wait` at most).
async fn receive_one<Q: Queue>(q: &Q, o: &QueueConformance, what: &str) -> Message {
    let mut got = q
        .receive(1, o.wait, o.visibility)
        .await
        .expect("receive succeeds");
    assert_eq!(got.len(), 1, "{what}: expected one message, got {got:?}");
    got.remove(0)
}

/// Nothing visible: a receive (shorter than any lease still held) comes back empty.
async fn assert_nothing_visible<Q: Queue>(q: &Q, wait: Duration, o: &QueueConformance, what: &str) {
    let got = q
        .receive(10, wait, o.visibility)
        .await
        .expect("receive succeeds");
    assert!(got.is_empty(), "{what}: expected no message, got {got:?}");
}

fn all_ok(results: &[Result<(), QueueError>], n: usize, what: &str) {
    assert_eq!(results.len(), n, "{what}: one result per handle");
    assert!(results.iter().all(Result::is_ok), "{what}: {results:?}");
}

/// 25 messages: each received once with attempt 1, then extended, acknowledged, and
/// acknowledged again (already gone is `Ok`), one result per handle.
async fn each_message_once<F: QueueFixture>(f: &F, o: &QueueConformance) {
    let q = f.empty_queue().await;
    let sent = bodies("n", 25);
    f.send(&q, &sent).await;
    let got = receive_n(&q, 25, o).await;
    assert_eq!(got.len(), 25, "every message sent is received");
    let ids: HashSet<_> = got.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids.len(), 25, "each message once");
    let got_bodies: HashSet<_> = got.iter().map(|m| m.body.clone()).collect();
    assert_eq!(got_bodies, sent.iter().cloned().collect(), "bodies as sent");
    assert!(
        got.iter().all(|m| m.attempt == 1),
        "first delivery is attempt 1"
    );

    let handles = handles(&got);
    all_ok(&q.extend(&handles, o.visibility * 2).await, 25, "extend 25");
    all_ok(&q.acknowledge(&handles).await, 25, "acknowledge 25");
    assert_nothing_visible(&q, o.wait, o, "after acknowledging every message").await;
    all_ok(
        &q.acknowledge(&handles).await,
        25,
        "acknowledging again (already gone is Ok)",
    );
}

/// Empty batches are no-ops; `max` 0 receives nothing and leaves the message in place.
async fn empty_batches_and_zero_max<F: QueueFixture>(f: &F, o: &QueueConformance) {
    let q = f.empty_queue().await;
    f.send(&q, &["m".to_owned()]).await;
    assert!(q.acknowledge(&[]).await.is_empty(), "acknowledge of none");
    assert!(
        q.extend(&[], o.visibility).await.is_empty(),
        "extend of none"
    );
    assert!(
        q.receive(0, o.wait, o.visibility)
            .await
            .expect("receive succeeds")
            .is_empty(),
        "receive(0, ..) returns nothing"
    );
    let m = receive_one(&q, o, "after receive(0, ..)").await;
    assert_eq!(m.body, "m");
    all_ok(&q.acknowledge(&[m.handle]).await, 1, "acknowledge");
}

/// A lease hides its message until it ends; a long poll then wakes with the next delivery (same
/// id and body, attempt 2). The superseded handle is refused (when the backend refuses them) and
/// acknowledging with it deletes nothing.
async fn lease_hides_until_it_ends<F: QueueFixture>(f: &F, o: &QueueConformance) {
    let q = f.empty_queue().await;
    f.send(&q, &["hello".to_owned()]).await;
    let first = receive_one(&q, o, "first delivery").await;
    assert_eq!(first.attempt, 1);
    assert_eq!(first.body, "hello");
    assert_nothing_visible(&q, o.wait.min(o.visibility / 2), o, "while leased").await;

    // A long poll outlasting the lease returns the message once the lease ends.
    let mut again = q
        .receive(10, o.visibility + o.wait, o.visibility)
        .await
        .expect("receive succeeds");
    assert_eq!(again.len(), 1, "redelivered after the lease: {again:?}");
    let again = again.remove(0);
    assert_eq!(again.id, first.id, "same message id on redelivery");
    assert_eq!(again.body, "hello");
    assert_eq!(again.attempt, 2, "second delivery is attempt 2");

    let current = if o.superseded_handles_lost {
        let r = q
            .extend(&[again.handle.clone(), first.handle.clone()], o.visibility)
            .await;
        assert!(
            matches!(r.as_slice(), [Ok(()), Err(QueueError::LeaseLost(_))]),
            "extend with the current and the superseded handle: {r:?}"
        );
        all_ok(
            &q.acknowledge(std::slice::from_ref(&first.handle)).await,
            1,
            "acknowledge with a superseded handle",
        );
        // It deleted nothing: the message comes back once released.
        q.release(&again.handle)
            .await
            .expect("release the current handle");
        let third = receive_one(&q, o, "after acknowledging with a superseded handle").await;
        assert_eq!(third.id, first.id, "a superseded handle deletes nothing");
        assert_eq!(third.attempt, 3);
        third
    } else {
        again
    };
    all_ok(
        &q.acknowledge(std::slice::from_ref(&current.handle)).await,
        1,
        "acknowledge",
    );
    assert_nothing_visible(&q, o.wait, o, "after acknowledging").await;
    all_ok(
        &q.acknowledge(&[current.handle]).await,
        1,
        "acknowledging again (already gone is Ok)",
    );
}

/// `extend` keeps a message hidden past its first lease; `release` redelivers at once with the
/// next attempt, every time.
async fn extend_and_release<F: QueueFixture>(f: &F, o: &QueueConformance) {
    let q = f.empty_queue().await;
    f.send(&q, &["slow object".to_owned()]).await;
    let m = receive_one(&q, o, "first delivery").await;
    let lease = o.visibility;
    tokio::time::sleep(lease * 4 / 5).await;
    let r = q.extend(std::slice::from_ref(&m.handle), lease * 2).await;
    assert!(
        matches!(r.as_slice(), [Ok(())]),
        "extend a held lease: {r:?}"
    );
    tokio::time::sleep(lease * 4 / 5).await;
    assert_nothing_visible(
        &q,
        Duration::ZERO,
        o,
        "an extended message stays hidden past its first lease",
    )
    .await;

    q.release(&m.handle).await.expect("release a held lease");
    let m2 = receive_one(&q, o, "released message").await;
    assert_eq!(m2.id, m.id, "the released message comes back");
    assert_eq!(m2.body, "slow object");
    assert_eq!(
        m2.attempt, 2,
        "released message is redelivered with attempt 2"
    );
    q.release(&m2.handle).await.expect("release again");
    let m3 = receive_one(&q, o, "released again").await;
    assert_eq!(m3.attempt, 3, "and with attempt 3 after another release");
    if o.superseded_handles_lost {
        assert!(
            matches!(q.release(&m.handle).await, Err(QueueError::LeaseLost(_))),
            "release with a superseded handle is LeaseLost"
        );
    }
    all_ok(&q.acknowledge(&[m3.handle]).await, 1, "acknowledge");
}

/// A handle whose message was deleted, and a forged one, are `LeaseLost` in their own entries
/// of `extend` (the others succeed) and for `release`.
async fn lost_leases_per_handle<F: QueueFixture>(f: &F, o: &QueueConformance) {
    let q = f.empty_queue().await;
    f.send(&q, &["a".to_owned(), "b".to_owned()]).await;
    let got = receive_n(&q, 2, o).await;
    assert_eq!(got.len(), 2, "both messages received");
    let (gone, kept) = (got[0].handle.clone(), got[1].handle.clone());
    // Another consumer deleted the first message: its lease is lost.
    all_ok(
        &q.acknowledge(std::slice::from_ref(&gone)).await,
        1,
        "acknowledge",
    );
    let forged = AckHandle("not-a-receipt-handle".into());
    let r = q
        .extend(&[kept.clone(), gone.clone(), forged.clone()], o.visibility)
        .await;
    assert!(
        matches!(
            r.as_slice(),
            [
                Ok(()),
                Err(QueueError::LeaseLost(_)),
                Err(QueueError::LeaseLost(_))
            ]
        ),
        "extend [held, deleted, forged]: {r:?}"
    );
    assert!(
        matches!(q.release(&gone).await, Err(QueueError::LeaseLost(_))),
        "release of a deleted message is LeaseLost"
    );
    assert!(
        matches!(q.release(&forged).await, Err(QueueError::LeaseLost(_))),
        "release with a forged handle is LeaseLost"
    );
    all_ok(&q.acknowledge(&[kept]).await, 1, "acknowledge");
}

/// A long poll returns a message sent while it waits (another message being in flight, so the
/// queue is not empty).
async fn long_poll_wakes_on_send<F: QueueFixture>(f: &F, o: &QueueConformance) {
    let q = f.empty_queue().await;
    f.send(&q, &["held".to_owned()]).await;
    let held = q
        .receive(1, o.wait, o.visibility * 4)
        .await
        .expect("receive succeeds");
    assert_eq!(held.len(), 1, "first message: {held:?}");
    let (got, ()) = futures::join!(q.receive(10, o.wait * 3, o.visibility), async {
        tokio::time::sleep(o.wait / 2).await;
        f.send(&q, &["late".to_owned()]).await;
    });
    let got = got.expect("receive succeeds");
    assert_eq!(
        got.len(),
        1,
        "the long poll returns the late message: {got:?}"
    );
    assert_eq!(got[0].body, "late");
    all_ok(
        &q.acknowledge(&[held[0].handle.clone(), got[0].handle.clone()])
            .await,
        2,
        "acknowledge",
    );
}
