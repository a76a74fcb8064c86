//! The AWS service-log sources: explicit expectations on AWS's published samples (the golden files
//! hold the full output; these spell out the rules that matter), a generated volume per source
//! (every record delivered, none dead-lettered, every time read from the record), and the bad
//! input a source must account for.

#![cfg(all(
    feature = "alb",
    feature = "awsconfig",
    feature = "cloudfront",
    feature = "guardduty",
    feature = "route53-resolver",
    feature = "s3-access",
    feature = "vpcflow",
    feature = "waf"
))]

mod common;

use std::io::Write;

use common::{builtin, run, source_fixtures, Output, LAST_MODIFIED_MS};
use s3conn_core::decode::DecoderConfig;
use s3conn_core::process::{process_object_bytes, ObjectOutput};
use s3conn_core::{ObjectContext, ObjectRef, Outcome, Record};

/// The records of one fixture of a source.
fn fixture(id: &str, rel: &str) -> Vec<Record> {
    let bytes = std::fs::read(source_fixtures(id).join(rel)).expect("fixture");
    match run(&builtin(id), rel, &bytes) {
        Output::Records(r) => r,
        Output::Skipped(reason) => panic!("{rel} skipped: {reason}"),
    }
}

/// (event_name, user, src_ip, host, outcome) of a record, `-` where absent.
fn fields(r: &Record) -> (&str, &str, &str, &str, Option<Outcome>) {
    let f = &r.fields;
    (
        f.event_name.as_deref().unwrap_or("-"),
        f.user.as_deref().unwrap_or("-"),
        f.src_ip.as_deref().unwrap_or("-"),
        f.host.as_deref().unwrap_or("-"),
        f.outcome,
    )
}

/// Runs a source over an object without failing on dead letters.
fn process(id: &str, key: &str, bytes: &[u8]) -> ObjectOutput {
    let ctx = ObjectContext::new(
        ObjectRef::new("test-bucket", key),
        None,
        None,
        Some(LAST_MODIFIED_MS),
    );
    process_object_bytes(&builtin(id), &DecoderConfig::default(), ctx, bytes)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// Checks a generated object: `n` records, every one with its own time (none fell back), the
/// source's `msg_class`, and times rising as generated.
fn assert_volume(id: &str, msg_class: &str, key: &str, bytes: &[u8], n: usize) -> Vec<Record> {
    let records = match run(&builtin(id), key, bytes) {
        Output::Records(r) => r,
        Output::Skipped(reason) => panic!("{key} skipped: {reason}"),
    };
    assert_eq!(records.len(), n, "{id}: every generated record delivered");
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.source.msg_class, msg_class);
        assert_eq!(r.source.index, "Syslog");
        assert_eq!(r.source.vendor, "aws");
        assert_eq!(r.source.category, "paas");
        assert_eq!(r.ordinal, i as u64);
        assert!(
            r.fields.fallback_reason.is_none(),
            "{id} record {i} fell back: {:?}: {}",
            r.fields.fallback_reason,
            r.event.get()
        );
    }
    assert!(
        records
            .windows(2)
            .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms),
        "{id}: times read in order"
    );
    records
}

/// A rotating `client:port` and the address expected from it (as written): IPv4, bracketed
/// IPv6, IPv6 with the port glued on.
fn client(i: usize) -> (String, String) {
    match i % 3 {
        0 => (
            format!(
                "10.{}.{}.{}:{}",
                i % 200,
                (i / 7) % 250,
                i % 251,
                1024 + i % 60000
            ),
            format!("10.{}.{}.{}", i % 200, (i / 7) % 250, i % 251),
        ),
        1 => (
            format!("[2001:db8::{:x}]:443", i),
            format!("2001:db8::{:x}", i),
        ),
        _ => (
            format!("2001:db8:0:0:0:0:0:{:x}:8443", i % 0xffff),
            format!("2001:db8:0:0:0:0:0:{:x}", i % 0xffff),
        ),
    }
}

// ---- expectations on AWS's samples ----------------------------------------------------------

#[test]
fn waf_samples_firehose_back_to_back_equals_pretty() {
    let pretty = fixture("aws-waf", "docs/logging-examples.json");
    let firehose = fixture(
        "aws-waf",
        "firehose/2021/09/23/18/aws-waf-logs-example-1-2021-09-23-18-07-09-0123abcd",
    );
    assert_eq!(pretty.len(), 6);
    assert_eq!(
        firehose.len(),
        6,
        "back-to-back objects are one record each"
    );
    for (a, b) in pretty.iter().zip(&firehose) {
        assert_eq!(a.fields, b.fields);
        assert_eq!(a.timestamp_ms, b.timestamp_ms);
    }
    assert_eq!(
        fields(&pretty[0]),
        ("BLOCK", "-", "1.1.1.1", "localhost", Some(Outcome::Failure))
    );
    assert_eq!(pretty[0].timestamp_ms, 1_576_280_412_771);
    assert_eq!(
        pretty[0].fields.event_type, None,
        "httpSourceName `-` is absent"
    );
    assert_eq!(
        fields(&pretty[4]),
        (
            "ALLOW",
            "-",
            "72.21.198.65",
            "b34myvfw0b.gamma.execute-api.us-east-1.amazonaws.com",
            Some(Outcome::Success)
        )
    );
    assert_eq!(pretty[4].fields.event_type.as_deref(), Some("APIGW"));
    // A CAPTCHA without a token: the request was stopped.
    assert_eq!(pretty[5].fields.outcome, Some(Outcome::Failure));
}

#[test]
fn guardduty_cli_pascal_case_and_export_camel_case_agree() {
    let cli = fixture("aws-guardduty", "cli/get-findings.json");
    let export = fixture(
        "aws-guardduty",
        "AWSLogs/111122223333/GuardDuty/us-east-1/2020/05/26/0a1b2c3d-example.jsonl.gz",
    );
    assert_eq!(cli.len(), 1, "the Findings list is expanded");
    assert_eq!(export.len(), 3);
    assert_eq!(cli[0].fields, export[0].fields);
    assert_eq!(cli[0].timestamp_ms, 1_590_533_721_703, "updatedAt");
    assert_eq!(
        fields(&cli[0]),
        (
            "Recon:IAMUser/UserPermissions",
            "testuser",
            "52.94.36.7",
            "-",
            None
        )
    );
    assert_eq!(cli[0].fields.event_type.as_deref(), Some("AWS_API_CALL"));
    assert_eq!(
        fields(&export[1]),
        (
            "Recon:EC2/PortProbeUnprotectedPort",
            "-",
            "198.51.100.7",
            "i-0123456789example",
            None
        )
    );
    // Only createdAt: it is used; principalId stands in for a missing userName.
    assert_eq!(export[2].fields.fallback_reason, None);
    assert_eq!(
        fields(&export[2]),
        (
            "Policy:S3/BucketBlockPublicAccessDisabled",
            "AIDACKCEVSQ6C2EXAMPLE",
            "2001:db8::7",
            "example-bucket",
            None
        )
    );
    let wrapped = fixture("aws-guardduty", "eventbridge/firehose-guardduty-example");
    assert_eq!(
        wrapped[0].fields, export[1].fields,
        "EventBridge detail read"
    );
}

#[test]
fn route53_resolver_blocked_query_fails() {
    let r = fixture(
        "aws-route53-resolver",
        "AWSLogs/111122223333/vpcdnsquerylogs/vpc-7example/2021/02/04/vpc-7example_vpcdnsquerylogs_111122223333_20210204T1750Z_example.log",
    );
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].timestamp_ms, 1_612_461_115_000);
    assert_eq!(
        fields(&r[0]),
        (
            "15.3.4.32.in-addr.arpa.",
            "-",
            "4.5.64.102",
            "i-0d15cd0d3example",
            Some(Outcome::Failure)
        ),
        "NOERROR, but DNS Firewall blocked it"
    );
    assert_eq!(r[0].fields.event_type.as_deref(), Some("PTR"));
}

#[test]
fn config_items_expanded_and_writability_check_skipped() {
    let snapshot = fixture(
        "aws-config",
        "AWSLogs/123456789012/Config/us-west-2/2014/3/7/ConfigSnapshot/123456789012_Config_us-west-2_ConfigSnapshot_20140307T234709Z_example.json",
    );
    assert_eq!(snapshot.len(), 2);
    assert_eq!(snapshot[1].timestamp_ms, 1_394_236_029_523);
    assert_eq!(
        snapshot[1].fields.event_type.as_deref(),
        Some("AWS::EC2::Instance")
    );
    assert_eq!(snapshot[1].fields.host.as_deref(), Some("i-344c463d"));
    let history = fixture(
        "aws-config",
        "AWSLogs/123456789012/Config/us-west-2/2014/3/7/ConfigHistory/123456789012_Config_us-west-2_ConfigHistory_AWS-EC2-Volume_20140307T234709Z_20140307T234709Z_1.json",
    );
    assert_eq!(history.len(), 3);
    let key = "AWSLogs/123456789012/Config/ConfigWritabilityCheckFile";
    assert!(matches!(
        run(&builtin("aws-config"), key, b""),
        Output::Skipped(s3conn_sources::aws::aws_config::WRITABILITY_CHECK_SKIP)
    ));
    // Epoch seconds, as the API writes the capture time.
    let api = br#"{"configurationItems":[{"configurationItemCaptureTime":1414708529.922,"resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-6fbb3807","configurationItemStatus":"ResourceDiscovered"}]}"#;
    let r = fixture_bytes("aws-config", "api.json", api);
    assert_eq!(r[0].timestamp_ms, 1_414_708_529_922);
    assert_eq!(r[0].fields.host.as_deref(), Some("sg-6fbb3807"));
}

fn fixture_bytes(id: &str, key: &str, bytes: &[u8]) -> Vec<Record> {
    match run(&builtin(id), key, bytes) {
        Output::Records(r) => r,
        Output::Skipped(reason) => panic!("{key} skipped: {reason}"),
    }
}

#[test]
fn vpcflow_reads_the_same_from_noted_fields_as_through_serde() {
    // The text decoder notes each record's fields and the source reads them without a parser;
    // the same event as plain JSON (no noted fields) goes through serde: the same result.
    let base = "AWSLogs/123456789010/vpcflowlogs/us-east-1";
    let custom = "version srcaddr start end action instance-id interface-id log-status\n\
        2 10.0.0.1 1700000000 - ACCEPT i-0123 eni-1 OK\n\
        3 2001:db8::1 - - - - eni-2 NODATA\n\
        3 010.0.0.1 - 1700000060 reject - - OK\n";
    let mut records = fixture(
        "aws-vpcflow",
        &format!("{base}/2015/05/10/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20150510T1200Z_default.log.gz"),
    );
    records.extend(fixture(
        "aws-vpcflow",
        &format!("{base}/2020/06/01/123456789010_vpcflowlogs_us-east-1_fl-nat00001_20200601T0000Z_natgateway.log"),
    ));
    let custom_records = fixture_bytes(
        "aws-vpcflow",
        &format!("{base}/custom.log"),
        custom.as_bytes(),
    );
    assert_eq!(custom_records.len(), 3);
    assert_eq!(
        custom_records[0].timestamp_ms, 1_700_000_000_000,
        "start when end is absent"
    );
    assert_eq!(custom_records[0].fields.host.as_deref(), Some("i-0123"));
    assert_eq!(
        custom_records[2].fields.src_ip, None,
        "not a canonical address"
    );
    records.extend(custom_records);
    let source = builtin("aws-vpcflow");
    for r in &records {
        let event = s3conn_core::Event::new(r.event.get(), &r.context, None);
        assert_eq!(source.normalize(&event), r.fields, "{}", r.event.get());
    }
}

#[test]
fn vpcflow_end_time_and_nat_gateway_fallback() {
    let base = "AWSLogs/123456789010/vpcflowlogs/us-east-1";
    let default = fixture(
        "aws-vpcflow",
        &format!("{base}/2015/05/10/123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20150510T1200Z_default.log.gz"),
    );
    assert_eq!(default.len(), 7);
    assert_eq!(default[0].timestamp_ms, 1_418_530_070_000, "end, not start");
    assert_eq!(
        fields(&default[1]),
        (
            "REJECT",
            "-",
            "172.31.9.69",
            "eni-1235b8ca123456789",
            Some(Outcome::Failure)
        )
    );
    assert_eq!(default[2].fields.event_type.as_deref(), Some("NODATA"));
    assert_eq!(default[2].fields.outcome, None);
    assert_eq!(
        default[6].fields.src_ip.as_deref(),
        Some("2001:db8:1234:a100:8d6e:3477:df66:f105")
    );
    // Numbers are typed by the decoder; account ids stay strings.
    let event: serde_json::Value = serde_json::from_str(default[0].event.get()).expect("event");
    assert_eq!(event["bytes"], 4249);
    assert_eq!(event["account-id"], "123456789010");
    let nat = fixture(
        "aws-vpcflow",
        &format!("{base}/2020/06/01/123456789010_vpcflowlogs_us-east-1_fl-nat00001_20200601T0000Z_natgateway.log"),
    );
    assert_eq!(nat.len(), 4);
    for r in &nat {
        assert_eq!(r.timestamp_ms, LAST_MODIFIED_MS, "no time: the object's");
        assert_eq!(
            r.fields.fallback_reason.as_deref(),
            Some(s3conn_sources::aws::vpcflow::NO_FLOW_TIME)
        );
    }
}

#[test]
fn alb_request_time_client_addresses_and_families() {
    let alb = fixture(
        "aws-alb",
        "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2018/07/02/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T2225Z_192.0.2.1_example.log.gz",
    );
    assert_eq!(alb.len(), 7);
    assert_eq!(
        alb[0].timestamp_ms, 1_530_570_168_364,
        "request_creation_time"
    );
    assert_eq!(
        fields(&alb[1]),
        (
            "GET",
            "-",
            "192.168.131.39",
            "www.example.com",
            Some(Outcome::Success)
        ),
        "domain_name"
    );
    assert_eq!(alb[6].fields.outcome, Some(Outcome::Failure), "Lambda 502");
    let classic = fixture(
        "aws-alb",
        "AWSLogs/123456789012/elasticloadbalancing/us-west-2/2015/05/13/123456789012_elasticloadbalancing_us-west-2_my-loadbalancer_20150513T2340Z_192.0.2.1_example.log",
    );
    assert_eq!(classic.len(), 4);
    assert!(classic
        .iter()
        .all(|r| r.fields.event_type.as_deref() == Some("classic_elb")));
    assert_eq!(
        classic[2].fields.event_name, None,
        "TCP listener: no request line"
    );
    assert_eq!(classic[2].fields.outcome, None, "TCP listener: no status");
    let conn = fixture(
        "aws-alb",
        "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2023/11/28/conn_log.123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20231128T1945Z_192.0.2.1_example.log.gz",
    );
    assert_eq!(conn.len(), 3);
    assert_eq!(conn[1].fields.src_ip.as_deref(), Some("2001:db8::7"));
    assert_eq!(conn[2].fields.outcome, Some(Outcome::Failure));
    // The object written when logging is enabled is a sentence, not a log: skipped by key.
    assert!(matches!(
        run(
            &builtin("aws-alb"),
            "prefix/AWSLogs/123456789012/ELBAccessLogTestFile",
            b"Enable AccessLog for ELB: my-loadbalancer at 2018-07-02T22:00:00.000Z"
        ),
        Output::Skipped(s3conn_sources::aws::alb::TEST_FILE_SKIP)
    ));
}

/// AWS's NLB example with an ALPN policy ends with `"h2","http/1.1"` (a quoted list without a
/// space between its quoted parts): one field, kept whole with its quotes.
#[test]
fn nlb_alpn_preference_list() {
    let line = "tls 2.0 2020-04-01T08:51:42 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 \"h2\",\"http/1.1\"\n";
    let r = fixture_bytes("aws-alb", "nlb.log", line.as_bytes());
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].fields.event_type.as_deref(), Some("nlb"));
    assert_eq!(r[0].timestamp_ms, 1_585_731_102_000);
    let event: serde_json::Value = serde_json::from_str(r[0].event.get()).unwrap();
    assert_eq!(event["alpn_fe_protocol"], "h2");
    assert_eq!(event["alpn_be_protocol"], "h2");
    assert_eq!(event["alpn_client_preference_list"], r#""h2","http/1.1""#);
}

#[test]
fn s3_access_bracketed_time_and_errors() {
    let r = fixture("aws-s3-access", "logs/2019-02-06-00-02-11-5A7D9EXAMPLE");
    assert_eq!(r.len(), 5);
    assert_eq!(r[0].timestamp_ms, 1_549_411_238_000);
    assert_eq!(r[4].timestamp_ms, 1_549_411_317_000);
    assert_eq!(
        r[2].fields.outcome,
        Some(Outcome::Failure),
        "404 NoSuchBucketPolicy"
    );
    assert_eq!(r[4].fields.event_name.as_deref(), Some("REST.PUT.OBJECT"));
}

#[test]
fn cloudfront_date_and_time() {
    let r = fixture(
        "aws-cloudfront",
        "EMLARXS9EXAMPLE.2019-12-04-21.d111111a.gz",
    );
    assert_eq!(r.len(), 6);
    assert_eq!(r[0].timestamp_ms, 1_575_493_351_000);
    assert_eq!(
        fields(&r[3]),
        (
            "GET",
            "-",
            "192.0.2.200",
            "www.example.com",
            Some(Outcome::Failure)
        )
    );
}

// ---- generated volume -------------------------------------------------------------------------

const TEXT_VOLUME: usize = 20_000;
const JSON_VOLUME: usize = 5_000;
/// 2024-05-01T00:00:00Z.
const T0: u64 = 1_714_521_600;

#[test]
fn volume_vpcflow() {
    let mut text = String::from(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n",
    );
    for i in 0..TEXT_VOLUME {
        let t = T0 + i as u64;
        let action = if i % 5 == 0 { "REJECT" } else { "ACCEPT" };
        text.push_str(&format!(
            "2 012345678901 eni-{i:017x} 10.0.{}.{} 172.31.{}.{} {} 443 6 {} {} {} {} {action} OK\n",
            i % 250,
            i % 249,
            i % 248,
            i % 247,
            1024 + i % 60000,
            1 + i % 90,
            40 + i * 3,
            t - 60,
            t
        ));
    }
    let records = assert_volume(
        "aws-vpcflow",
        "generic_s3_aws_vpcflow",
        "AWSLogs/012345678901/vpcflowlogs/us-east-1/2024/05/01/volume.log.gz",
        &gzip(text.as_bytes()),
        TEXT_VOLUME,
    );
    assert_eq!(records[7].timestamp_ms, ((T0 + 7) * 1000) as i64);
    let rejected = records
        .iter()
        .filter(|r| r.fields.outcome == Some(Outcome::Failure))
        .count();
    assert_eq!(rejected, TEXT_VOLUME / 5);
}

#[test]
fn volume_alb() {
    let mut text = String::new();
    let mut want_ips = Vec::new();
    for i in 0..TEXT_VOLUME {
        let (client_port, ip) = client(i);
        want_ips.push(ip);
        let secs = i % 60;
        let mins = (i / 60) % 60;
        let hours = i / 3600;
        let time = format!("2024-05-01T{hours:02}:{mins:02}:{secs:02}.000000Z");
        let status = if i % 10 == 0 { 503 } else { 200 };
        text.push_str(&format!(
            "https {time} app/my-lb/50dc6c495c0c9188 {client_port} 10.0.0.1:80 0.001 0.002 0.000 {status} {status} 34 366 \"GET https://www.example.com:443/item/{i}?q=a%20b HTTP/1.1\" \"curl/8.0 (x86_64) \\\"quoted\\\"\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:012345678901:targetgroup/t/73e2d6bc24d8a067 \"Root=1-58337262-{i:024x}\" \"www.example.com\" \"-\" 0 {time} \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"{status}\" \"-\" \"-\" TID_{i:x}\n"
        ));
    }
    let records = assert_volume(
        "aws-alb",
        "generic_s3_aws_alb",
        "AWSLogs/012345678901/elasticloadbalancing/us-east-1/2024/05/01/012345678901_elasticloadbalancing_us-east-1_app.my-lb.50dc6c495c0c9188_20240501T0000Z_192.0.2.1_x.log.gz",
        &gzip(text.as_bytes()),
        TEXT_VOLUME,
    );
    for (r, ip) in records.iter().zip(&want_ips) {
        assert_eq!(r.fields.src_ip.as_deref(), Some(ip.as_str()));
        assert_eq!(r.fields.host.as_deref(), Some("www.example.com"));
    }
    let failed = records
        .iter()
        .filter(|r| r.fields.outcome == Some(Outcome::Failure))
        .count();
    assert_eq!(failed, TEXT_VOLUME / 10);
}

#[test]
fn volume_cloudfront() {
    let mut text = String::from("#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken\n");
    for i in 0..TEXT_VOLUME {
        let secs = i % 60;
        let mins = (i / 60) % 60;
        let hours = i / 3600;
        text.push_str(&format!(
            "2024-05-01\t{hours:02}:{mins:02}:{secs:02}\tLAX1\t{}\t192.0.2.{}\tGET\td111111abcdef8.cloudfront.net\t/p/{i}\t200\t-\tcurl/8.0\t-\t-\tHit\treq{i}==\twww.example.com\thttps\t23\t0.001\n",
            100 + i,
            i % 250
        ));
    }
    assert_volume(
        "aws-cloudfront",
        "generic_s3_aws_cloudfront",
        "EMLARXS9EXAMPLE.2024-05-01-00.volume.gz",
        &gzip(text.as_bytes()),
        TEXT_VOLUME,
    );
}

#[test]
fn volume_s3_access() {
    let mut text = String::new();
    for i in 0..TEXT_VOLUME {
        let secs = i % 60;
        let mins = (i / 60) % 60;
        let hours = i / 3600;
        text.push_str(&format!(
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be bucket1 [01/May/2024:{hours:02}:{mins:02}:{secs:02} +0000] 192.0.2.{} arn:aws:iam::012345678901:user/user{} REQ{i:012X} REST.GET.OBJECT key/{i} \"GET /bucket1/key/{i} HTTP/1.1\" 200 - 1024 1024 10 5 \"-\" \"aws-cli/2.15 (a b)\" - HOSTID{i}= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bucket1.s3.us-east-1.amazonaws.com TLSv1.2 - -\n",
            i % 250,
            i % 17
        ));
    }
    let records = assert_volume(
        "aws-s3-access",
        "generic_s3_aws_s3_access",
        "logs/2024-05-01-00-00-00-VOLUME",
        text.as_bytes(),
        TEXT_VOLUME,
    );
    assert_eq!(records[17].fields.user.as_deref(), Some("user0"));
}

#[test]
fn volume_waf_firehose() {
    let mut text = String::new();
    for i in 0..JSON_VOLUME {
        let action = if i % 4 == 0 { "BLOCK" } else { "ALLOW" };
        text.push_str(&format!(
            r#"{{"timestamp":{},"formatVersion":1,"webaclId":"arn:aws:wafv2:us-east-1:012345678901:regional/webacl/acl/1","terminatingRuleId":"r","terminatingRuleType":"REGULAR","action":"{action}","httpSourceName":"ALB","httpRequest":{{"clientIp":"198.51.100.{}","country":"US","headers":[{{"name":"host","value":"app{}.example.com"}}],"uri":"/","args":"","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"{i}"}}}}"#,
            (T0 + i as u64) * 1000,
            i % 250,
            i % 9
        ));
    }
    let records = assert_volume(
        "aws-waf",
        "generic_s3_aws_waf",
        "firehose/2024/05/01/00/aws-waf-logs-volume",
        &gzip(text.as_bytes()),
        JSON_VOLUME,
    );
    assert_eq!(records[3].fields.host.as_deref(), Some("app3.example.com"));
}

#[test]
fn volume_guardduty_export() {
    let mut text = String::new();
    for i in 0..JSON_VOLUME {
        text.push_str(&format!(
            r#"{{"schemaVersion":"2.0","accountId":"012345678901","id":"f{i}","type":"UnauthorizedAccess:EC2/SSHBruteForce","resource":{{"resourceType":"Instance","instanceDetails":{{"instanceId":"i-{i:017x}"}}}},"service":{{"action":{{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{{"remoteIpDetails":{{"ipAddressV4":"203.0.113.{}"}}}}}}}},"createdAt":"2024-05-01T00:00:00.000Z","updatedAt":"2024-05-01T{:02}:{:02}:{:02}.000Z"}}"#,
            i % 250,
            i / 3600,
            (i / 60) % 60,
            i % 60
        ));
        text.push('\n');
    }
    assert_volume(
        "aws-guardduty",
        "generic_s3_aws_guardduty",
        "AWSLogs/012345678901/GuardDuty/us-east-1/2024/05/01/volume.jsonl.gz",
        &gzip(text.as_bytes()),
        JSON_VOLUME,
    );
}

#[test]
fn volume_route53_resolver() {
    let mut text = String::new();
    for i in 0..JSON_VOLUME {
        let rcode = ["NOERROR", "NXDOMAIN", "SERVFAIL"][i % 3];
        text.push_str(&format!(
            r#"{{"version":"1.100000","account_id":"012345678901","region":"us-east-1","vpc_id":"vpc-1","query_timestamp":"2024-05-01T{:02}:{:02}:{:02}Z","query_name":"host{i}.example.com.","query_type":"A","query_class":"IN","rcode":"{rcode}","answers":[],"srcaddr":"10.0.0.{}","srcport":"5353","transport":"UDP","srcids":{{"resolver_endpoint":"rslvr-in-{i}"}}}}"#,
            i / 3600,
            (i / 60) % 60,
            i % 60,
            i % 250
        ));
        text.push('\n');
    }
    let records = assert_volume(
        "aws-route53-resolver",
        "generic_s3_aws_route53_resolver",
        "AWSLogs/012345678901/vpcdnsquerylogs/vpc-1/2024/05/01/volume.log.gz",
        &gzip(text.as_bytes()),
        JSON_VOLUME,
    );
    let failed = records
        .iter()
        .filter(|r| r.fields.outcome == Some(Outcome::Failure))
        .count();
    assert_eq!(failed, JSON_VOLUME - JSON_VOLUME.div_ceil(3));
    assert_eq!(records[5].fields.host.as_deref(), Some("rslvr-in-5"));
}

#[test]
fn volume_config_history() {
    let mut items = Vec::new();
    for i in 0..JSON_VOLUME {
        items.push(format!(
            r#"{{"configurationItemVersion":"1.3","configurationItemCaptureTime":"2024-05-01T{:02}:{:02}:{:02}.000Z","configurationItemStatus":"OK","resourceType":"AWS::EC2::Volume","resourceId":"vol-{i:08x}","configuration":{{"size":{i}}}}}"#,
            i / 3600,
            (i / 60) % 60,
            i % 60
        ));
    }
    let doc = format!(
        r#"{{"fileVersion":"1.0","configurationItems":[{}]}}"#,
        items.join(",")
    );
    assert_volume(
        "aws-config",
        "generic_s3_aws_config",
        "AWSLogs/012345678901/Config/us-east-1/2024/5/1/ConfigHistory/volume.json.gz",
        &gzip(doc.as_bytes()),
        JSON_VOLUME,
    );
}

// ---- bad input --------------------------------------------------------------------------------

#[test]
fn alb_line_with_wrong_field_count_is_dead_lettered_rest_delivered() {
    let text = "https 2024-05-01T00:00:00.000000Z app/x/1 192.0.2.1:1 10.0.0.1:80 0.1 0.1 0.1 200 200 1 2 \"GET https://a.example:443/ HTTP/1.1\" \"ua\" - - arn:tg \"Root=1\" \"-\" \"-\" 0 2024-05-01T00:00:00.000000Z \"forward\" \"-\" \"-\" \"-\" \"-\" \"-\" \"-\"\n\
https 2024-05-01T00:00:01.000000Z app/x/1 192.0.2.2:1 truncated\n\
http 2024-05-01T00:00:02.000000Z app/x/1 192.0.2.3:1 10.0.0.1:80 0.1 0.1 0.1 404 404 1 2 \"GET http://b.example:80/ HTTP/1.1\" \"ua\" - - arn:tg \"Root=2\" \"-\" \"-\" 0 2024-05-01T00:00:02.000000Z \"forward\" \"-\" \"-\" \"-\" \"-\" \"-\" \"-\"\n";
    let out = process(
        "aws-alb",
        "AWSLogs/x/elasticloadbalancing/bad.log",
        text.as_bytes(),
    );
    assert!(out.result.is_ok());
    assert_eq!(out.records.len(), 2);
    assert_eq!(out.dead_letters.len(), 1);
    assert_eq!(out.dead_letters[0].line, Some(2));
    assert_eq!(out.records[1].fields.outcome, Some(Outcome::Failure));
}

#[test]
fn vpcflow_object_without_header_is_not_delivered() {
    let text = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n";
    let out = process(
        "aws-vpcflow",
        "AWSLogs/x/vpcflowlogs/noheader.log",
        text.as_bytes(),
    );
    assert!(
        out.records.is_empty(),
        "nothing delivered under wrong names"
    );
    let error = out.result.expect_err("undecodable without its header");
    assert!(error.to_string().contains("header"), "{error}");
}

#[test]
fn json_sources_never_panic_on_odd_values() {
    let odd = [
        r#"{"timestamp":"x","action":7,"httpRequest":{"headers":{"name":"Host"}}}"#,
        r#"{"updatedAt":[1],"type":{},"resource":"s","service":{"action":[]}}"#,
        r#"{"query_timestamp":null,"srcids":[],"rcode":false}"#,
        r#"{"configurationItems":[1,"two",{"configurationItemCaptureTime":{}}]}"#,
        r#"[1,2,3]"#,
    ];
    for id in [
        "aws-waf",
        "aws-guardduty",
        "aws-route53-resolver",
        "aws-config",
    ] {
        for doc in odd {
            let out = process(id, "odd.json", doc.as_bytes());
            assert!(out.result.is_ok(), "{id}: {doc}");
            for r in &out.records {
                assert_eq!(r.timestamp_ms, LAST_MODIFIED_MS, "{id}: {doc}");
                assert!(r.fields.fallback_reason.is_some());
            }
        }
    }
}
