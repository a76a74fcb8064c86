//! Test support lives in the crate (feature `testing`) so other crates' tests can use it too.
#![allow(unused_imports)]

pub use s3conn_aws::testing::*;

pub mod fake {
    pub use s3conn_aws::testing::fake::*;
}
