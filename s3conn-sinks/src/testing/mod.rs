//! Test support: a real ClickHouse server on a free loopback port ([`ClickHouseServer`]) and a
//! local HTTP server playing a destination's documented answers ([`HttpServer`]).

mod clickhouse;
mod http_server;

pub use clickhouse::{ClickHouseServer, PASSWORD};
pub use http_server::{HttpServer, Reply, Request};
