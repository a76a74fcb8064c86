//! The default credential chain (no keys in the configuration), in a process of its own because
//! it changes environment variables. Instance metadata is disabled: no request leaves 127.0.0.1.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use common::{unique, Moto, REGION};
use s3conn_aws::{check_connectivity, ConnectorConfig, CredentialsConfig, StatusClass};

#[tokio::test]
async fn default_chain_reads_the_environment_and_its_absence_is_a_credentials_failure() {
    let dir = std::env::temp_dir().join(unique("s3conn-no-aws-config"));
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("AWS_CONFIG_FILE", dir.join("config"));
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"));
    for var in [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
    ] {
        std::env::remove_var(var);
    }

    let moto = Moto::start();
    let clients = moto.clients().await;
    let url = moto.create_queue(&clients, &unique("q")).await;
    let config = ConnectorConfig::builder()
        .name("chain")
        .log_source("x")
        .region(REGION)
        .sqs_queue_url(&url)
        .allow_http(true)
        .build()
        .unwrap();
    assert_eq!(config.credentials, CredentialsConfig::DefaultChain);

    // No credentials anywhere: a credentials failure, named as such.
    let report = check_connectivity(&config).await;
    assert!(!report.success, "{report}");
    eprintln!("{report}");
    let failure = report.first_failure().unwrap();
    assert_eq!(failure.status_class, StatusClass::Unauthorized, "{report}");

    // Credentials in the environment are found by the chain.
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDFROMENV");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "secret-from-env");
    let report = check_connectivity(&config).await;
    assert!(report.success, "{report}");
}
