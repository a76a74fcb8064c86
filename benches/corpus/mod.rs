//! Deterministic generator of realistic log corpora for the benchmarks and `benches/compare.sh`.
//!
//! Every kind writes the shape its source reads from S3: CloudTrail `{"Records":[…]}` documents,
//! CrowdStrike FDR NDJSON, Proofpoint TAP documents, Teleport NDJSON and generic NDJSON. The same
//! seed gives the same bytes.

#![allow(dead_code)]

pub mod text;

use std::io::{self, Write};
use std::ops::ControlFlow;

use s3conn::s3conn_core::decode::{Decoder, DecoderConfig, Item, JsonDecoder};
use s3conn::s3conn_core::json::FieldSpan;

/// The corpora the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// CloudTrail log files: one `{"Records":[…]}` document.
    CloudTrail,
    /// CrowdStrike Falcon Data Replicator: NDJSON.
    Fdr,
    /// Proofpoint TAP SIEM API documents.
    Proofpoint,
    /// Teleport audit events: NDJSON.
    Teleport,
    /// Generic NDJSON application logs.
    Generic,
}

impl Kind {
    /// Parses a kind name.
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "cloudtrail" => Kind::CloudTrail,
            "fdr" | "crowdstrike" => Kind::Fdr,
            "proofpoint" => Kind::Proofpoint,
            "teleport" => Kind::Teleport,
            "generic" => Kind::Generic,
            _ => return None,
        })
    }

    /// The source id that reads this kind.
    pub fn source_id(self) -> &'static str {
        match self {
            Kind::CloudTrail => "aws-cloudtrail",
            Kind::Fdr => "crowdstrike",
            Kind::Proofpoint => "proofpoint",
            Kind::Teleport => "teleport",
            Kind::Generic => "generic",
        }
    }

    /// Every kind.
    pub fn all() -> [Kind; 5] {
        [
            Kind::CloudTrail,
            Kind::Fdr,
            Kind::Proofpoint,
            Kind::Teleport,
            Kind::Generic,
        ]
    }
}

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// One of the items.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const EVENT_NAMES: &[&str] = &[
    "GetObject",
    "PutObject",
    "ConsoleLogin",
    "AssumeRole",
    "DescribeInstances",
    "Decrypt",
    "GenerateDataKey",
    "CreateUser",
    "ListBuckets",
    "GetCallerIdentity",
    "UpdateFunctionCode",
    "RunInstances",
];
const SOURCES: &[&str] = &[
    "s3.amazonaws.com",
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "ec2.amazonaws.com",
    "kms.amazonaws.com",
];
const AGENTS: &[&str] = &[
    "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/s3.cp",
    "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.6",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.47.7",
];
const REGIONS: &[&str] = &["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"];

fn time(rng: &mut Rng, base: u64) -> String {
    let secs = base + rng.below(86_400);
    let (h, m, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
    format!(
        "2026-11-{:02}T{h:02}:{m:02}:{s:02}Z",
        1 + (secs / 86_400) % 28
    )
}

/// One CloudTrail record (about 1.1 KB).
pub fn cloudtrail_record(rng: &mut Rng, i: u64) -> String {
    let name = rng.pick(EVENT_NAMES);
    let source = rng.pick(SOURCES);
    let region = rng.pick(REGIONS);
    let ip = format!(
        "{}.{}.{}.{}",
        1 + rng.below(222),
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    );
    let identity = match rng.below(3) {
        0 => format!(
            r#"{{"type":"IAMUser","principalId":"AIDA{:016X}","arn":"arn:aws:iam::111122223333:user/user{}","accountId":"111122223333","accessKeyId":"AKIA{:016X}","userName":"user{}"}}"#,
            rng.next(),
            i % 97,
            rng.next(),
            i % 97
        ),
        1 => format!(
            r#"{{"type":"AssumedRole","principalId":"AROA{:016X}:session{}","arn":"arn:aws:sts::111122223333:assumed-role/Role{}/session{}","accountId":"111122223333","accessKeyId":"ASIA{:016X}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA{:016X}","arn":"arn:aws:iam::111122223333:role/Role{}","accountId":"111122223333","userName":"Role{}"}},"attributes":{{"creationDate":"{}","mfaAuthenticated":"false"}}}}}}"#,
            rng.next(),
            i % 13,
            i % 7,
            i % 13,
            rng.next(),
            rng.next(),
            i % 7,
            i % 7,
            time(rng, 0)
        ),
        _ => format!(r#"{{"type":"AWSService","invokedBy":"{source}"}}"#),
    };
    let error = if rng.below(10) == 0 {
        r#","errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this operation""#
    } else {
        ""
    };
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{identity},"eventTime":"{t}","eventSource":"{source}","eventName":"{name}","awsRegion":"{region}","sourceIPAddress":"{ip}","userAgent":"{agent}","requestParameters":{{"bucketName":"bucket-{b}","key":"data/{y}/{k:08x}.parquet","Host":"bucket-{b}.s3.{region}.amazonaws.com"}},"responseElements":null,"additionalEventData":{{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{x:016x}{x2:016x}","bytesTransferredOut":{bytes}}},"requestID":"{r:016X}","eventID":"{e1:08x}-{e2:04x}-4{e3:03x}-8{e4:03x}-{e5:012x}","readOnly":{ro},"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::bucket-{b}/data/{y}/{k:08x}.parquet"}}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"bucket-{b}.s3.{region}.amazonaws.com"}}{error}}}"#,
        t = time(rng, 0),
        agent = rng.pick(AGENTS),
        b = rng.below(20),
        y = 2020 + rng.below(7),
        k = rng.next() as u32,
        x = rng.next(),
        x2 = rng.next(),
        bytes = rng.below(10_000_000),
        r = rng.next(),
        e1 = rng.next() as u32,
        e2 = rng.next() as u16,
        e3 = rng.below(4096),
        e4 = rng.below(4096),
        e5 = rng.next() & 0xFFFF_FFFF_FFFF,
        ro = rng.below(2) == 0,
    )
}

/// One FDR event line (ProcessRollup2, DnsRequest or NetworkConnectIP4).
pub fn fdr_record(rng: &mut Rng, i: u64) -> String {
    let ts = 1_795_000_000_000u64 + i * 13 + rng.below(1000);
    let aid = format!(
        "{:032x}",
        u128::from(rng.next()) << 64 | u128::from(rng.next())
    );
    match rng.below(3) {
        0 => format!(
            r#"{{"event_simpleName":"ProcessRollup2","name":"ProcessRollup2V19","aid":"{aid}","cid":"ffffffffffffffffffffffffffffffff","aip":"67.43.156.{a}","event_platform":"Win","timestamp":"{ts}","ContextTimeStamp":"{cs}.{cf:03}","ProcessStartTime":"{cs}.{cf:03}","RawProcessId":"{pid}","TargetProcessId":"{tp}","ParentProcessId":"{pp}","ImageFileName":"\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe","CommandLine":"C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule","SHA256HashData":"{h1:016x}{h2:016x}{h3:016x}{h4:016x}","MD5HashData":"{h1:016x}{h2:016x}","UserSid":"S-1-5-18","SessionId":"0","IntegrityLevel":"16384","TokenType":"1","ConfigBuild":"1007.3.0017312.1","ConfigStateHash":"{csh}","EffectiveTransmissionClass":"2","Entitlements":"15","id":"{id:08x}-{i2:04x}-11ee-{i3:04x}-{i4:012x}"}}"#,
            a = rng.below(255),
            cs = ts / 1000,
            cf = ts % 1000,
            pid = rng.below(65536),
            tp = rng.next() % 100_000_000_000,
            pp = rng.next() % 100_000_000_000,
            h1 = rng.next(),
            h2 = rng.next(),
            h3 = rng.next(),
            h4 = rng.next(),
            csh = rng.next() as u32,
            id = rng.next() as u32,
            i2 = rng.next() as u16,
            i3 = rng.next() as u16,
            i4 = rng.next() & 0xFFFF_FFFF_FFFF,
        ),
        1 => format!(
            r#"{{"event_simpleName":"DnsRequest","name":"DnsRequestV4","aid":"{aid}","cid":"ffffffffffffffffffffffffffffffff","aip":"67.43.156.{a}","event_platform":"Mac","timestamp":"{ts}","ContextTimeStamp":"{cs}.{cf:03}","ContextProcessId":"{pid}","DomainName":"host{d}.example.com","RequestType":"1","DualRequest":"0","EffectiveTransmissionClass":"3","ConfigBuild":"1007.4.0017302.1","Entitlements":"15","id":"{id:08x}-0000-11ee-0000-000000000000"}}"#,
            a = rng.below(255),
            cs = ts / 1000,
            cf = ts % 1000,
            pid = rng.next() % 100_000_000_000,
            d = rng.below(10_000),
            id = rng.next() as u32,
        ),
        _ => format!(
            r#"{{"event_simpleName":"NetworkConnectIP4","name":"NetworkConnectIP4MacV5","aid":"{aid}","cid":"ffffffffffffffffffffffffffffffff","aip":"67.43.156.{a}","event_platform":"Lin","timestamp":"{ts}","ContextTimeStamp":"{cs}.{cf:03}","LocalAddressIP4":"10.0.{l1}.{l2}","LocalPort":"{lp}","RemoteAddressIP4":"81.2.69.{r}","RemotePort":"443","Protocol":"6","ConnectionDirection":"0","ConfigBuild":"1007.8.0017302.1","id":"{id:08x}-0000-11ee-0000-000000000000"}}"#,
            a = rng.below(255),
            cs = ts / 1000,
            cf = ts % 1000,
            l1 = rng.below(256),
            l2 = rng.below(256),
            lp = 1024 + rng.below(60000),
            r = rng.below(255),
            id = rng.next() as u32,
        ),
    }
}

/// One Proofpoint TAP message or click.
pub fn proofpoint_record(rng: &mut Rng, i: u64, click: bool) -> String {
    let t = time(rng, 0);
    if click {
        format!(
            r#"{{"campaignId":"{c:08x}","classification":"malware","clickIP":"192.0.2.{a}","clickTime":"{t}","GUID":"{g:016x}","id":"{id:016x}","messageID":"<{m:x}@example.com>","recipient":"user{u}@example.com","sender":"bad{s}@example.net","senderIP":"198.51.100.{b}","threatID":"{th:016x}","threatTime":"{t}","threatStatus":"active","threatURL":"https://threatinsight.proofpoint.com/{th:x}","url":"http://malicious{i}.example.net/path","userAgent":"Mozilla/5.0"}}"#,
            c = rng.next() as u32,
            a = rng.below(255),
            g = rng.next(),
            id = rng.next(),
            m = rng.next(),
            u = rng.below(500),
            s = rng.below(50),
            b = rng.below(255),
            th = rng.next(),
        )
    } else {
        format!(
            r#"{{"GUID":"{g:016x}","QID":"r{q}","ccAddresses":[],"clusterId":"example_hosted","completelyRewritten":true,"fromAddress":["sender{s}@example.net"],"headerFrom":"\"Sender\" <sender{s}@example.net>","messageID":"<{m:x}@example.net>","messageParts":[{{"contentType":"text/plain","disposition":"inline","filename":"text.txt","md5":"{h1:016x}{h2:016x}","oContentType":"text/plain","sandboxStatus":"unsupported","sha256":"{h1:016x}{h2:016x}{h1:016x}{h2:016x}"}}],"messageSize":{size},"messageTime":"{t}","modulesRun":["av","spam","dkimv","spf","dmarc","urldefense"],"phishScore":{p},"policyRoutes":["default_inbound"],"quarantineFolder":null,"recipient":["user{u}@example.com"],"sender":"sender{s}@example.net","senderIP":"198.51.100.{b}","spamScore":{sp},"subject":"Invoice {i}","threatsInfoMap":[{{"classification":"phish","threat":"http://phish{i}.example.net","threatId":"{th:016x}","threatStatus":"active","threatTime":"{t}","threatType":"url","threatUrl":"https://threatinsight.proofpoint.com/{th:x}"}}],"toAddresses":["user{u}@example.com"],"xmailer":null}}"#,
            g = rng.next(),
            q = rng.next() as u32,
            s = rng.below(50),
            m = rng.next(),
            h1 = rng.next(),
            h2 = rng.next(),
            size = 1000 + rng.below(100_000),
            p = rng.below(100),
            u = rng.below(500),
            b = rng.below(255),
            sp = rng.below(100),
            th = rng.next(),
        )
    }
}

/// One Teleport audit event.
pub fn teleport_record(rng: &mut Rng, i: u64) -> String {
    let t = time(rng, 0);
    let frac = rng.below(1_000_000_000);
    let t = t.replace('Z', &format!(".{frac:09}Z"));
    match rng.below(3) {
        0 => format!(
            r#"{{"addr.remote":"203.0.113.{a}:{p}","cluster_name":"teleport.example.com","code":"T1000I","ei":0,"event":"user.login","method":"local","success":true,"time":"{t}","uid":"{u1:08x}-{u2:04x}-4000-8000-{u3:012x}","user":"alice{n}","user_agent":"Mozilla/5.0 (X11; Linux x86_64)","mfa_device":{{"mfa_device_name":"otp","mfa_device_uuid":"{u1:08x}","mfa_device_type":"TOTP"}}}}"#,
            a = rng.below(255),
            p = 1024 + rng.below(60000),
            u1 = rng.next() as u32,
            u2 = rng.next() as u16,
            u3 = rng.next() & 0xFFFF_FFFF_FFFF,
            n = i % 20,
        ),
        1 => format!(
            r#"{{"addr.local":"10.0.0.5:3022","addr.remote":"198.51.100.{a}:{p}","cluster_name":"teleport.example.com","code":"T2000I","ei":0,"event":"session.start","login":"root","namespace":"default","server_hostname":"node-{h}","server_id":"{u1:08x}-{u2:04x}-4000-8000-{u3:012x}","session_recording":"node","sid":"{u3:012x}","size":"80:24","time":"{t}","uid":"{u1:08x}-0000-4000-8000-000000000000","user":"bob{n}"}}"#,
            a = rng.below(255),
            p = 1024 + rng.below(60000),
            h = rng.below(100),
            u1 = rng.next() as u32,
            u2 = rng.next() as u16,
            u3 = rng.next() & 0xFFFF_FFFF_FFFF,
            n = i % 20,
        ),
        _ => format!(
            r#"{{"cluster_name":"teleport.example.com","code":"T3007W","ei":0,"error":"access denied to root connecting to node-{h}","event":"auth","success":false,"time":"{t}","uid":"{u1:08x}-0000-4000-8000-000000000000","user":"mallory{n}"}}"#,
            h = rng.below(100),
            u1 = rng.next() as u32,
            n = i % 20,
        ),
    }
}

/// One generic application log line.
pub fn generic_record(rng: &mut Rng, i: u64) -> String {
    let t = time(rng, 0).replace('Z', &format!(".{:03}+00:00", rng.below(1000)));
    format!(
        r#"{{"@timestamp":"{t}","level":"{lvl}","logger":"app.http.server","message":"request {i} completed in {ms} ms","http":{{"method":"{m}","path":"/api/v1/items/{id}","status":{st},"client_ip":"192.0.2.{a}"}},"host":"web-{h}","trace_id":"{tr:016x}{tr2:016x}"}}"#,
        lvl = rng.pick(&["info", "info", "info", "warn", "error"]),
        ms = rng.below(2000),
        m = rng.pick(&["GET", "GET", "POST", "PUT", "DELETE"]),
        id = rng.below(100_000),
        st = [200, 200, 201, 404, 500][rng.below(5) as usize],
        a = rng.below(255),
        h = rng.below(16),
        tr = rng.next(),
        tr2 = rng.next(),
    )
}

/// Writes about `target_bytes` of one kind to `out`; returns the number of records written.
pub fn write_corpus(
    kind: Kind,
    target_bytes: u64,
    seed: u64,
    out: &mut dyn Write,
) -> io::Result<u64> {
    let mut rng = Rng::new(seed);
    let mut written = 0u64;
    let mut n = 0u64;
    match kind {
        Kind::CloudTrail | Kind::Proofpoint => {
            let (open, close) = match kind {
                Kind::CloudTrail => (r#"{"Records":["#, "]}"),
                _ => (
                    r#"{"queryEndTime":"2026-11-26T10:00:00Z","messagesDelivered":["#,
                    "]}",
                ),
            };
            out.write_all(open.as_bytes())?;
            written += open.len() as u64;
            while written < target_bytes {
                if n > 0 {
                    out.write_all(b",")?;
                    written += 1;
                }
                let r = match kind {
                    Kind::CloudTrail => cloudtrail_record(&mut rng, n),
                    _ => proofpoint_record(&mut rng, n, false),
                };
                out.write_all(r.as_bytes())?;
                written += r.len() as u64;
                n += 1;
            }
            out.write_all(close.as_bytes())?;
        }
        Kind::Fdr | Kind::Teleport | Kind::Generic => {
            while written < target_bytes {
                let mut r = match kind {
                    Kind::Fdr => fdr_record(&mut rng, n),
                    Kind::Teleport => teleport_record(&mut rng, n),
                    _ => generic_record(&mut rng, n),
                };
                r.push('\n');
                out.write_all(r.as_bytes())?;
                written += r.len() as u64;
                n += 1;
            }
        }
    }
    Ok(n)
}

/// One CloudTrail log file of exactly `records` records (`{"Records":[…]}`, about 1.1 KB each).
pub fn cloudtrail_document(records: u64, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(records as usize * 1200 + 16);
    out.extend_from_slice(br#"{"Records":["#);
    for i in 0..records {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(cloudtrail_record(&mut rng, i).as_bytes());
    }
    out.extend_from_slice(b"]}");
    out
}

/// A corpus in memory.
pub fn corpus(kind: Kind, target_bytes: u64, seed: u64) -> (Vec<u8>, u64) {
    let mut buf = Vec::with_capacity(target_bytes as usize + 4096);
    let n = write_corpus(kind, target_bytes, seed, &mut buf).unwrap_or(0);
    (buf, n)
}

/// gzip of a buffer (default level, as producers write).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    s3conn::testing::gzip_level(data, 6)
}

/// One decoded event, owned: its text, the top-level fields the framer noted, and its list name.
pub type Decoded = (String, Option<Vec<FieldSpan>>, Option<String>);

/// Decodes an object (gzip or plain) with the default decoder, expanding the `expand` lists.
pub fn decoded_events(bytes: &[u8], expand: &[String]) -> Vec<Decoded> {
    let decoder = JsonDecoder::new(&DecoderConfig::default());
    let mut events = Vec::new();
    let _ = decoder.decode(Box::new(bytes), expand, &mut |item| {
        if let Item::Event {
            raw, fields, list, ..
        } = item
        {
            events.push((
                raw.to_owned(),
                fields.map(<[FieldSpan]>::to_vec),
                list.map(str::to_owned),
            ));
        }
        ControlFlow::Continue(())
    });
    events
}
