//! Per-account request limits, counted in DynamoDB so that they hold across
//! every Lambda instance: one counter item per account, class and minute,
//! removed by TTL afterwards.

use time::OffsetDateTime;

use crate::store::{Store, StoreError};

/// Which limit a route counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitClass {
    /// Creating keys: 10 a minute.
    Create,
    /// Listing, updating, revoking, rotating: 60 a minute.
    Manage,
}

impl LimitClass {
    pub fn per_minute(self) -> u64 {
        match self {
            LimitClass::Create => 10,
            LimitClass::Manage => 60,
        }
    }

    fn name(self) -> &'static str {
        match self {
            LimitClass::Create => "create",
            LimitClass::Manage => "manage",
        }
    }
}

/// Where a caller stands against a limit; becomes the `X-RateLimit-*`
/// headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitStatus {
    pub limit: u64,
    pub remaining: u64,
    /// Epoch seconds at which the window ends.
    pub reset_epoch: i64,
    /// Seconds to wait, when over the limit.
    pub retry_after: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct RateLimiter {
    store: Store,
}

/// The fixed window that `now` falls in: (index, end in epoch seconds).
pub fn window(now: OffsetDateTime, seconds: i64) -> (i64, i64) {
    let index = now.unix_timestamp().div_euclid(seconds);
    (index, (index + 1) * seconds)
}

impl RateLimiter {
    pub fn new(store: Store) -> Self {
        RateLimiter { store }
    }

    /// Counts one request of `account_id` against `class`.
    pub async fn hit(&self, account_id: &str, class: LimitClass) -> Result<RateLimitStatus, StoreError> {
        let now = OffsetDateTime::now_utc();
        let (index, reset_epoch) = window(now, 60);
        let counter = format!("rate#{account_id}#{}#{index}", class.name());
        let count = self.store.increment_counter(&counter, reset_epoch + 60).await?;
        let limit = class.per_minute();
        let retry_after = (count > limit).then(|| (reset_epoch - now.unix_timestamp()).max(1) as u64);
        Ok(RateLimitStatus { limit, remaining: limit.saturating_sub(count), reset_epoch, retry_after })
    }
}

/// Failed key checks allowed per source and window before further checks
/// from that source are refused until the window ends.
pub const VERIFY_FAILURES_ALLOWED: u64 = 5;
pub const VERIFY_WINDOW_SECONDS: i64 = 300;

impl RateLimiter {
    fn verify_counter(source: &str, index: i64) -> String {
        format!("verify-failures#{source}#{index}")
    }

    /// Seconds to wait when `source` has used up its failed checks.
    pub async fn verify_blocked(&self, source: &str) -> Result<Option<u64>, StoreError> {
        let now = OffsetDateTime::now_utc();
        let (index, end) = window(now, VERIFY_WINDOW_SECONDS);
        let failures = self.store.read_counter(&Self::verify_counter(source, index)).await?;
        Ok((failures >= VERIFY_FAILURES_ALLOWED).then(|| (end - now.unix_timestamp()).max(1) as u64))
    }

    pub async fn record_verify_failure(&self, source: &str) -> Result<(), StoreError> {
        let (index, end) = window(OffsetDateTime::now_utc(), VERIFY_WINDOW_SECONDS);
        self.store.increment_counter(&Self::verify_counter(source, index), end + 60).await.map(|_| ())
    }
}
