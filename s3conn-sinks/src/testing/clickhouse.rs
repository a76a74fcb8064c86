//! A ClickHouse server (Debian's `clickhouse-server`) started on a free loopback port with a
//! temporary data directory and a minimal configuration; stopped (and restarted on the same port
//! and data) at will, killed on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;

use crate::auth::Auth;
use crate::client::HttpClient;
use crate::settings::HttpSettings;

/// The password of the `default` user of the test server.
pub const PASSWORD: &str = "s3conn-test";

/// A running ClickHouse.
#[derive(Debug)]
pub struct ClickHouseServer {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
    client: HttpClient,
}

/// The server binary: `$CLICKHOUSE_SERVER` or `/usr/sbin/clickhouse-server`.
fn binary() -> PathBuf {
    std::env::var_os("CLICKHOUSE_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/clickhouse-server"))
}

impl ClickHouseServer {
    /// Whether the server binary is installed (tests skip, loudly, when it is not).
    pub fn available() -> bool {
        binary().exists()
    }

    /// Starts a server and waits until it answers.
    pub async fn start() -> std::io::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = tempfile::tempdir()?;
        write_config(dir.path(), port)?;
        let mut settings = HttpSettings::new(format!("http://127.0.0.1:{port}"));
        settings.auth = Auth::Basic {
            user: "default".into(),
            password: PASSWORD.into(),
        };
        settings.request_timeout = Duration::from_secs(30);
        let client = HttpClient::new(&settings).map_err(std::io::Error::other)?;
        let mut server = ClickHouseServer {
            dir,
            port,
            child: None,
            client,
        };
        server.resume().await?;
        Ok(server)
    }

    /// The HTTP URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The credentials of the `default` user.
    pub fn auth(&self) -> Auth {
        Auth::Basic {
            user: "default".into(),
            password: PASSWORD.into(),
        }
    }

    /// Kills the server (SIGKILL, as a crash) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data, and waits until it answers.
    pub async fn resume(&mut self) -> std::io::Result<()> {
        self.stop();
        let log = std::fs::File::create(self.dir.path().join("server.log"))?;
        let child = Command::new(binary())
            .arg(format!(
                "--config-file={}",
                self.dir.path().join("config.xml").display()
            ))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        let started = Instant::now();
        loop {
            let ping = self
                .client
                .send(Method::GET, "/ping", &[], Bytes::new())
                .await;
            if matches!(&ping, Ok(r) if r.status == 200) {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                let log =
                    std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
                return Err(std::io::Error::other(format!(
                    "clickhouse-server exited ({status}): {log}"
                )));
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err(std::io::Error::other(
                    "clickhouse-server did not answer in 60 s",
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `sql` and returns the answer's text (an error for a non-2xx answer).
    pub async fn query(&self, sql: &str) -> std::io::Result<String> {
        let r = self
            .client
            .send(Method::POST, "/", &[], Bytes::from(sql.to_owned()))
            .await
            .map_err(std::io::Error::other)?;
        let text = String::from_utf8_lossy(&r.body).into_owned();
        if (200..300).contains(&r.status) {
            Ok(text)
        } else {
            Err(std::io::Error::other(format!("HTTP {}: {text}", r.status)))
        }
    }

    /// Rows inserted since this server (last) started, from `system.events`: unlike a table's
    /// `count()`, background merges of a `ReplacingMergeTree` never lower it, and this server
    /// keeps no system logs, so only the inserts sent to it count.
    pub async fn inserted_rows(&self) -> std::io::Result<u64> {
        let text = self
            .query("SELECT value FROM system.events WHERE event = 'InsertedRows'")
            .await?;
        text.trim().parse().map_err(|e| {
            std::io::Error::other(format!("InsertedRows is not a number ({text:?}): {e}"))
        })
    }
}

impl Drop for ClickHouseServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_config(dir: &Path, port: u16) -> std::io::Result<()> {
    let d = dir.display();
    std::fs::write(
        dir.join("config.xml"),
        format!(
            r#"<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><console>1</console></logger>
    <http_port>{port}</http_port>
    <listen_host>127.0.0.1</listen_host>
    <path>{d}/data/</path>
    <tmp_path>{d}/tmp/</tmp_path>
    <user_files_path>{d}/user_files/</user_files_path>
    <format_schema_path>{d}/format_schemas/</format_schema_path>
    <users_config>{d}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>0</uncompressed_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
"#
        ),
    )?;
    std::fs::write(
        dir.join("users.xml"),
        format!(
            r#"<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
    <users>
        <default>
            <password>{PASSWORD}</password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
"#
        ),
    )
}
