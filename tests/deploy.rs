//! The deployment files in `deploy/` stay true to the binary: the container's command line
//! parses, every connector in the ConfigMap is a valid configuration, the probes and scrape
//! annotations use the port the command serves on, and KEDA scales the Deployment that exists.
//! (No image is built here: these machines have no Docker engine.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::s3conn;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `- item` lines of the YAML list under `key:` (one level, plain scalars).
fn yaml_list(text: &str, key: &str) -> Vec<String> {
    let mut lines = text.lines().skip_while(|l| l.trim() != format!("{key}:"));
    let header = lines.next().expect("the key is there");
    let indent = header.len() - header.trim_start().len();
    lines
        .take_while(|l| {
            let t = l.trim_start();
            t.starts_with("- ") && l.len() - t.len() >= indent
        })
        .map(|l| l.trim_start()[2..].trim().trim_matches('"').to_owned())
        .collect()
}

/// The value of the first `key: value` line.
fn yaml_value(text: &str, key: &str) -> String {
    let prefix = format!("{key}:");
    text.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {key}"))
        .trim()
        .trim_matches('"')
        .to_owned()
}

/// The command line parses: the same arguments with `--help` print the help and exit 0 (an
/// unknown flag or a bad value would exit 2 first).
fn assert_parses(args: &[String]) {
    let output = s3conn().args(args).arg("--help").output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn metrics_port(args: &[String]) -> String {
    let at = args
        .iter()
        .position(|a| a == "--metrics-addr")
        .expect("--metrics-addr");
    args[at + 1].rsplit(':').next().unwrap().to_owned()
}

#[test]
fn the_deployment_runs_a_command_the_binary_has_and_probes_its_port() {
    let deployment = read("deploy/kubernetes/deployment.yaml");
    let args = yaml_list(&deployment, "args");
    assert!(args.contains(&"collect".to_owned()), "{args:?}");
    assert_parses(&args);
    let port = metrics_port(&args);
    assert_eq!(yaml_value(&deployment, "containerPort"), port);
    assert_eq!(yaml_value(&deployment, "prometheus.io/port"), port);
    assert_eq!(yaml_value(&deployment, "prometheus.io/path"), "/metrics");
    assert!(deployment.contains("path: /healthz") && deployment.contains("path: /readyz"));
    assert!(deployment.contains("runAsNonRoot: true"));
    // The config directory is the ConfigMap's mount.
    let config = &args[args.iter().position(|a| a == "--config").unwrap() + 1];
    assert!(
        deployment.contains(&format!("mountPath: {config}")),
        "{config}"
    );
}

#[test]
fn the_dockerfile_runs_the_same_command_as_non_root_with_a_healthcheck() {
    let dockerfile = read("deploy/Dockerfile");
    let cmd = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("CMD "))
        .expect("a CMD line");
    let args: Vec<String> = serde_json::from_str(cmd).unwrap();
    assert_parses(&args);
    let port = metrics_port(&args);
    assert!(dockerfile.contains(&format!("EXPOSE {port}")));
    assert!(dockerfile.contains(&format!("http://127.0.0.1:{port}/healthz")));
    assert!(dockerfile.contains("USER 10001"));
    assert!(dockerfile.contains("cargo build --release --locked --bin s3conn"));
    let deployment = read("deploy/kubernetes/deployment.yaml");
    assert_eq!(
        args,
        yaml_list(&deployment, "args"),
        "the image and the Deployment agree"
    );
}

#[test]
fn every_connector_in_the_configmap_is_a_valid_configuration() {
    let configmap = read("deploy/kubernetes/configmap.yaml");
    let mut found = 0;
    let mut lines = configmap.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(name) = line.trim().strip_suffix(": |") else {
            continue;
        };
        assert!(name.ends_with(".toml"), "{name}");
        let mut body = String::new();
        while let Some(next) = lines.peek() {
            if !next.starts_with("    ") && !next.trim().is_empty() {
                break;
            }
            body.push_str(next.trim_start_matches("    "));
            body.push('\n');
            lines.next();
        }
        let config =
            s3conn::ConnectorConfig::from_toml_str(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        s3conn::resolve_source(&config.log_source, Path::new("."))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        found += 1;
    }
    assert!(found >= 1);
}

#[test]
fn keda_scales_the_deployment_on_the_queue_backlog() {
    let keda = read("deploy/kubernetes/keda-scaledobject.yaml");
    let deployment = read("deploy/kubernetes/deployment.yaml");
    let target = keda
        .split("scaleTargetRef:")
        .nth(1)
        .map(|rest| yaml_value(rest, "name"))
        .unwrap();
    assert_eq!(target, yaml_value(&deployment, "name"));
    assert!(keda.contains("type: aws-sqs-queue"));
    let configmap = read("deploy/kubernetes/configmap.yaml");
    assert!(
        configmap.contains(&yaml_value(&keda, "queueURL")),
        "KEDA watches a connector's queue"
    );
    let account = read("deploy/kubernetes/serviceaccount.yaml");
    assert_eq!(
        yaml_value(&account, "name"),
        yaml_value(&deployment, "serviceAccountName")
    );
}
