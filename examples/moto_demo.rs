//! Sets up a local S3/SQS emulator (moto) for trying `s3conn collect`: a bucket, a queue, the
//! bucket notification, objects uploaded, and a connector configuration printed on stdout.
//!
//! ```sh
//! moto_server -H 127.0.0.1 -p 5000 &
//! cargo run --example moto_demo --features testing -- http://127.0.0.1:5000 > /tmp/s3conn-moto.toml
//! cargo run -- collect --config /tmp/s3conn-moto.toml --drain
//! ```
//!
//! Without options it uploads the sample CloudTrail files of `examples/data/cloudtrail`. With
//! `--cloudtrail OBJECTS RECORDS` (used by `benches/e2e_moto.sh`) it uploads OBJECTS gzip
//! CloudTrail objects of exactly RECORDS generated records each (`benches/corpus`), then waits
//! until every notification is in the queue.

#[path = "../benches/corpus/mod.rs"]
mod corpus;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use s3conn::aws::testing::Moto;
use s3conn::aws::AwsClients;
use s3conn::aws_sdk_s3::primitives::ByteStream;
use s3conn::futures::{self, StreamExt, TryStreamExt};
use s3conn::tokio;

/// Uploads at once in bench mode.
const UPLOADS_IN_FLIGHT: usize = 8;

/// What to upload.
enum Load {
    /// The sample files shipped in `examples/data/cloudtrail`.
    Samples,
    /// Generated gzip CloudTrail objects.
    CloudTrail { objects: u64, records: u64 },
}

/// The names of one set-up.
struct Names {
    queue: &'static str,
    bucket: &'static str,
    connector: &'static str,
}

fn files(dir: &Path, root: &Path, out: &mut Vec<(String, std::path::PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            files(&p, root, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push((rel.to_string_lossy().replace('\\', "/"), p.clone()));
        }
    }
}

async fn put(clients: &AwsClients, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), String> {
    clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("upload {key}: {e}"))
}

async fn upload_samples(clients: &AwsClients, bucket: &str) -> Result<u64, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/cloudtrail");
    let mut objects = Vec::new();
    files(&root, &root, &mut objects);
    for (key, path) in &objects {
        let body = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        put(clients, bucket, key, body).await?;
    }
    Ok(objects.len() as u64)
}

/// The key of generated object `i`, as CloudTrail names its files.
fn cloudtrail_key(i: u64) -> String {
    format!(
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/26/111122223333_CloudTrail_us-east-1_20261126T0000Z_{i:05}.json.gz"
    )
}

async fn upload_cloudtrail(
    clients: &AwsClients,
    bucket: &str,
    objects: u64,
    records: u64,
) -> Result<u64, String> {
    futures::stream::iter(0..objects)
        .map(|i| async move {
            let body = corpus::gzip(&corpus::cloudtrail_document(records, 42 + i));
            put(clients, bucket, &cloudtrail_key(i), body).await
        })
        .buffer_unordered(UPLOADS_IN_FLIGHT)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(objects)
}

/// Waits until at least `n` messages are visible in the queue; returns how many there are.
async fn wait_for_messages(
    moto: &Moto,
    clients: &AwsClients,
    url: &str,
    n: u64,
) -> Result<u64, String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (visible, _) = moto.queue_counts(clients, url).await;
        if visible >= n {
            return Ok(visible);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "only {visible} of {n} notifications arrived within 120 s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn run(endpoint: &str, load: Load) -> Result<(), String> {
    let names = match load {
        Load::Samples => Names {
            queue: "s3conn-demo",
            bucket: "s3conn-demo-trail",
            connector: "moto-demo",
        },
        Load::CloudTrail { .. } => Names {
            queue: "s3conn-e2e",
            bucket: "s3conn-e2e-trail",
            connector: "moto-e2e",
        },
    };
    let moto = Moto::attach(endpoint);
    let clients = moto.clients().await;
    let queue_url = moto.create_queue(&clients, names.queue).await;
    moto.create_bucket(&clients, names.bucket).await;
    moto.notify(&clients, names.bucket, names.queue).await;
    let uploaded = match load {
        Load::Samples => upload_samples(&clients, names.bucket).await?,
        Load::CloudTrail { objects, records } => {
            let n = upload_cloudtrail(&clients, names.bucket, objects, records).await?;
            let messages = wait_for_messages(&moto, &clients, &queue_url, n).await?;
            eprintln!("moto_demo: {messages} messages in the queue");
            n
        }
    };
    eprintln!(
        "moto_demo: bucket {}, queue {}, {uploaded} objects uploaded",
        names.bucket, names.queue
    );
    println!(
        "name = \"{}\"\nregion = \"{}\"\nsqs_queue_url = \"{queue_url}\"\naccess_key_id = \"testing\"\nsecret_access_key = \"testing\"\nendpoint_url = \"{}\"\nallow_http = true\nlog_source = \"aws-cloudtrail\"\nbuckets = [\"{}\"]",
        names.connector,
        s3conn::aws::testing::REGION,
        moto.endpoint,
        names.bucket
    );
    Ok(())
}

/// `ENDPOINT [--cloudtrail OBJECTS RECORDS]`.
fn parse_args(args: &[String]) -> Result<(String, Load), String> {
    let endpoint = args
        .first()
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:5000".to_owned());
    match args.get(1..).unwrap_or_default() {
        [] => Ok((endpoint, Load::Samples)),
        [flag, objects, records] if flag == "--cloudtrail" => {
            let n = |s: &String| s.parse::<u64>().map_err(|e| format!("{s}: {e}"));
            Ok((
                endpoint,
                Load::CloudTrail {
                    objects: n(objects)?,
                    records: n(records)?,
                },
            ))
        }
        _ => Err("usage: moto_demo [ENDPOINT] [--cloudtrail OBJECTS RECORDS]".into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (endpoint, load) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("moto_demo: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("moto_demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&endpoint, load)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moto_demo: {e}");
            ExitCode::FAILURE
        }
    }
}
