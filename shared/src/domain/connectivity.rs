//! The outcome of a connectivity test, as answered and as stored.

use crate::domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    Ok,
    Failed,
}

impl TestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Ok => "ok",
            TestStatus::Failed => "failed",
        }
    }
}

/// Where a failed test stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TestStage {
    Dns,
    Connect,
    Tls,
    Auth,
    Protocol,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TestOutcome {
    pub status: TestStatus,
    pub stage: Option<TestStage>,
    /// Written by this service, never the server's own text (which may echo
    /// what it was sent).
    pub message: String,
    pub latency_ms: u64,
    pub tested_at: Timestamp,
}
