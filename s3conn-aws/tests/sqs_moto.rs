//! `SqsQueue` against a real SQS API (moto): the `Queue` contract suite, plus what only SQS does
//! (batches of ten, a missing queue).
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use async_trait::async_trait;
use common::{unique, Moto};
use s3conn_aws::{AwsClients, SqsQueue};
use s3conn_core::testing::{queue_conformance, QueueConformance, QueueFixture};
use s3conn_core::{AckHandle, Queue, QueueError};

/// A fresh moto queue per scenario.
struct MotoQueues {
    moto: Moto,
    clients: AwsClients,
}

impl MotoQueues {
    async fn start() -> Self {
        let moto = Moto::start();
        let clients = moto.clients().await;
        MotoQueues { moto, clients }
    }
}

#[async_trait]
impl QueueFixture for MotoQueues {
    type Queue = SqsQueue;

    async fn empty_queue(&self) -> SqsQueue {
        let url = self.moto.create_queue(&self.clients, &unique("q")).await;
        SqsQueue::new(self.clients.sqs.clone(), url)
    }

    async fn send(&self, queue: &SqsQueue, bodies: &[String]) {
        let sent = queue.send_batch(bodies).await;
        assert_eq!(sent.len(), bodies.len());
        assert!(sent.iter().all(Result::is_ok), "{sent:?}");
    }
}

#[tokio::test]
async fn sqs_queue_keeps_the_queue_contract() {
    let queues = MotoQueues::start().await;
    let options = QueueConformance {
        // moto 5.2.1 accepts every receipt handle a message ever had (Message.had_receipt_handle);
        // real SQS refuses a superseded handle with InvalidParameterValue, classified as LeaseLost.
        superseded_handles_lost: false,
        ..QueueConformance::default()
    };
    queue_conformance(&queues, &options).await;
}

#[tokio::test]
async fn batches_of_more_than_ten_are_split() {
    let queues = MotoQueues::start().await;
    let q = queues.empty_queue().await;
    let bodies: Vec<String> = (0..25).map(|i| format!("{{\"n\":{i}}}")).collect();
    let sent = q.send_batch(&bodies).await;
    assert_eq!(sent.len(), 25);
    assert!(sent.iter().all(Result::is_ok), "{sent:?}");
    let mut handles = Vec::new();
    while handles.len() < 25 {
        let batch = q
            .receive(25, Duration::from_secs(1), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(!batch.is_empty() && batch.len() <= 10, "{}", batch.len());
        handles.extend(batch.into_iter().map(|m| m.handle));
    }
    let r = q.extend(&handles[..13], Duration::from_secs(120)).await;
    assert_eq!(r.len(), 13);
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    let r = q.acknowledge(&handles).await;
    assert_eq!(r.len(), 25);
    assert!(r.iter().all(Result::is_ok), "{r:?}");
}

#[tokio::test]
async fn missing_queue_is_not_found() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let url = format!("{}/{}/does-not-exist", moto.endpoint, common::ACCOUNT);
    let q = SqsQueue::new(clients.sqs.clone(), url);
    let e = q
        .receive(1, Duration::ZERO, Duration::from_secs(30))
        .await
        .expect_err("no such queue");
    assert!(matches!(e, QueueError::NotFound(_)), "{e}");
    let r = q.acknowledge(&[AckHandle("x".into())]).await;
    assert!(
        matches!(r.as_slice(), [Err(QueueError::NotFound(_))]),
        "{r:?}"
    );
}
