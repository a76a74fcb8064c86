//! Tests of the multi-account settings: `[queue]`, `[store]` and `[[buckets]]`.

use super::*;

const BASE: &str = r#"
name = "trail"
sqs_queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/trail-events"
log_source = "aws-cloudtrail"
"#;

fn with(extra: &str) -> Result<ConnectorConfig, ConfigError> {
    ConnectorConfig::from_toml_str(&format!("{BASE}{extra}"))
}

#[test]
fn without_tables_both_sides_use_the_top_level_settings() {
    let c = with(
        "access_key_id = \"AKIDTOP\"\nsecret_access_key = \"s\"\nrole_arn = \"arn:aws:iam::1:role/top\"\n",
    )
    .expect("valid");
    assert_eq!(c.queue_access, c.store_access);
    assert_eq!(c.queue_access.credentials, c.credentials);
    assert_eq!(c.queue_access.region, "eu-west-1");
    assert_eq!(
        c.store_access.role.as_ref().map(|r| r.arn.as_str()),
        Some("arn:aws:iam::1:role/top")
    );
    assert!(c.bucket_settings.is_empty());
}

#[test]
fn each_table_overrides_its_groups_and_falls_back_for_the_others() {
    let c = with(
        r#"access_key_id = "AKIDTOP"
secret_access_key = "top"
[queue]
access_key_id = "AKIDQUEUE"
secret_access_key = "queue"
[store]
role_arn = "arn:aws:iam::222222222222:role/reader"
role_external_id = "ext"
region = "us-west-2"
"#,
    )
    .expect("valid");
    assert!(matches!(
        &c.queue_access.credentials,
        CredentialsConfig::Static { access_key_id, .. } if access_key_id == "AKIDQUEUE"
    ));
    assert_eq!(c.queue_access.role, None);
    // The store assumes its role with the top-level keys, in its own region.
    assert_eq!(c.store_access.credentials, c.credentials);
    assert_eq!(
        c.store_access.role,
        Some(RoleConfig::new("arn:aws:iam::222222222222:role/reader").external_id("ext"))
    );
    assert_eq!(c.store_access.region, "us-west-2");
}

#[test]
fn bad_tables_are_refused_naming_the_field() {
    let field = |extra: &str| match with(extra) {
        Err(ConfigError::Invalid { field, .. }) => field,
        other => panic!("{extra}: {other:?}"),
    };
    assert_eq!(
        field("[queue]\naccess_key_id = \"AKID\"\n"),
        "queue.secret_access_key"
    );
    assert_eq!(field("[store]\nrole_arn = \"nope\"\n"), "store.role_arn");
    assert_eq!(field("[store]\nregion = \"mars\"\n"), "store.region");
    assert_eq!(
        field("[store]\nrole_external_id = \"x\"\n"),
        "store.role_arn"
    );
    assert!(matches!(
        with("[queue]\nregion = \"us-east-1\"\n"),
        Err(ConfigError::RegionMismatch { .. })
    ));
    assert!(matches!(
        with("[store]\nkey = 1\n"),
        Err(ConfigError::Parse { .. })
    ));
}

#[test]
fn buckets_as_names_tables_or_both() {
    let c = with(
        r#"[[buckets]]
name = "local"
[[buckets]]
name = "remote"
role_arn = "arn:aws:iam::222222222222:role/x"
role_external_id = "e"
region = "ap-south-1"
"#,
    )
    .expect("valid");
    assert_eq!(c.buckets, vec!["local", "remote"]);
    assert_eq!(
        c.bucket_settings,
        vec![
            BucketConfig::new("local"),
            BucketConfig::new("remote")
                .role(RoleConfig::new("arn:aws:iam::222222222222:role/x").external_id("e"))
                .region("ap-south-1"),
        ]
    );
    let mixed = with("buckets = [\"a\", { name = \"b\", region = \"eu-west-1\" }, \"a\"]\n")
        .expect("valid");
    assert_eq!(mixed.buckets, vec!["a", "b"]);
    assert_eq!(mixed.bucket_settings.len(), 1);
    let field = |extra: &str| match with(extra) {
        Err(ConfigError::Invalid { field, reason }) => (field, reason),
        other => panic!("{extra}: {other:?}"),
    };
    assert_eq!(
        field("[[buckets]]\nname = \"b\"\nregion = \"nowhere\"\n").0,
        "buckets.region"
    );
    assert!(field("[[buckets]]\nname = \"b\"\nrole_arn = \"x\"\n")
        .1
        .contains("IAM role ARN"));
    assert!(
        field("[[buckets]]\nname = \"b\"\n[[buckets]]\nname = \"b\"\n")
            .1
            .contains("two")
    );
    assert!(with("[[buckets]]\nname = \"b\"\nrole = \"x\"\n").is_err());
}

#[test]
fn the_builder_sets_the_same_settings() {
    let c = ConnectorConfig::builder()
        .name("t")
        .log_source("x")
        .sqs_queue_url("https://sqs.eu-west-1.amazonaws.com/123456789012/q")
        .queue_static_credentials("AKIDQ", "q")
        .store_static_credentials("AKIDS", "s")
        .store_region("us-east-2")
        .buckets(["plain"])
        .bucket(BucketConfig::new("remote").role(RoleConfig::new("arn:aws:iam::2:role/r")))
        .build()
        .expect("valid");
    assert_eq!(c.buckets, vec!["plain", "remote"]);
    assert_ne!(c.queue_access.credentials, c.store_access.credentials);
    assert_eq!(c.store_access.region, "us-east-2");
    assert_eq!(c.queue_access.region, "eu-west-1");
}

/// The multi-account example of the module docs.
const ACCOUNTS_EXAMPLE: &str = include_str!("example-accounts.toml");

#[test]
fn the_multi_account_example_is_valid() {
    let c = ConnectorConfig::from_toml_str(ACCOUNTS_EXAMPLE).expect("valid");
    assert!(matches!(
        c.queue_access.credentials,
        CredentialsConfig::Static { .. }
    ));
    assert_eq!(c.store_access.credentials, CredentialsConfig::DefaultChain);
    assert_eq!(c.buckets, vec!["security-trail", "org-trail-222222222222"]);
    assert_eq!(c.bucket_settings[1].region.as_deref(), Some("eu-west-1"));
    assert!(c.bucket_settings[1].role.is_some());
}
