//! Sets up a local S3/SQS emulator (moto) for trying `s3conn collect`: a bucket, a queue, the
//! bucket notification, the sample CloudTrail files uploaded, and a connector configuration.
//!
//! ```sh
//! moto_server -H 127.0.0.1 -p 5000 &
//! cargo run --example moto_demo -- http://127.0.0.1:5000 > /tmp/s3conn-moto.toml
//! cargo run --example s3conn -- collect --config /tmp/s3conn-moto.toml --drain
//! ```

use std::path::Path;
use std::process::ExitCode;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
use s3conn::aws::ConnectorConfig;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

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

async fn run(endpoint: &str) -> Result<(), String> {
    let queue_name = "s3conn-demo";
    let bucket = "s3conn-demo-trail";
    let config = ConnectorConfig::builder()
        .name("moto-demo")
        .region(REGION)
        .sqs_queue_url(format!("{endpoint}/{ACCOUNT}/{queue_name}"))
        .endpoint_url(endpoint.to_owned())
        .allow_http(true)
        .static_credentials("testing", "testing")
        .log_source("aws-cloudtrail")
        .build()
        .map_err(|e| e.to_string())?;
    let clients = config.clients().await;
    clients
        .sqs
        .create_queue()
        .queue_name(queue_name)
        .send()
        .await
        .map_err(|e| format!("create queue: {e}"))?;
    clients
        .s3
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| format!("create bucket: {e}"))?;
    let arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}");
    let queue = QueueConfiguration::builder()
        .queue_arn(arn)
        .events(Event::S3ObjectCreated)
        .build()
        .map_err(|e| e.to_string())?;
    clients
        .s3
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(queue)
                .build(),
        )
        .send()
        .await
        .map_err(|e| format!("bucket notification: {e}"))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/cloudtrail");
    let mut objects = Vec::new();
    files(&root, &root, &mut objects);
    for (key, path) in &objects {
        let body = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        clients
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| format!("upload {key}: {e}"))?;
    }
    eprintln!(
        "moto_demo: bucket {bucket}, queue {queue_name}, {} objects uploaded",
        objects.len()
    );
    println!(
        "name = \"moto-demo\"\nregion = \"{REGION}\"\nsqs_queue_url = \"{endpoint}/{ACCOUNT}/{queue_name}\"\naccess_key_id = \"testing\"\nsecret_access_key = \"testing\"\nendpoint_url = \"{endpoint}\"\nallow_http = true\nlog_source = \"aws-cloudtrail\"\nbuckets = [\"{bucket}\"]"
    );
    Ok(())
}

fn main() -> ExitCode {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:5000".to_owned());
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("moto_demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&endpoint)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moto_demo: {e}");
            ExitCode::FAILURE
        }
    }
}
