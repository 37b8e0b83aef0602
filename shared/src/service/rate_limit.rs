//! Request limits, counted in DynamoDB so that they hold across every Lambda
//! instance. Each limit is a sliding window: at most N admissions in any
//! span of its window, kept as the times of the last N admissions in one
//! item and taken with one conditional write (see [`Store::take_slot`]).

use time::OffsetDateTime;

use crate::domain::ids::AccountId;
use crate::store::limits::Slots;
use crate::store::{Store, StoreError};

/// Which limit a route counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitClass {
    /// Creating keys: 10 in any 60 seconds.
    Create,
    /// Listing, updating, revoking, rotating: 60 in any 60 seconds.
    Manage,
}

const WINDOW_MS: i64 = 60_000;

impl LimitClass {
    pub fn per_minute(self) -> usize {
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
    /// Epoch seconds at which the next place in the window frees up.
    pub reset_epoch: i64,
    /// Seconds to wait, when over the limit.
    pub retry_after: Option<u64>,
}

impl RateLimitStatus {
    /// The status that a window's admission times give at `now_ms`.
    pub fn of(slots: &Slots, window_ms: i64, now_ms: i64) -> RateLimitStatus {
        let in_window: Vec<i64> = slots.times.iter().copied().filter(|t| *t > now_ms - window_ms).collect();
        let next_free_ms = in_window.iter().min().map_or(now_ms, |oldest| oldest + window_ms);
        let wait_seconds = ((next_free_ms - now_ms).max(0) as u64).div_ceil(1000).max(1);
        RateLimitStatus {
            limit: slots.times.len() as u64,
            remaining: (slots.times.len() - in_window.len()) as u64,
            reset_epoch: next_free_ms.div_euclid(1000) + i64::from(next_free_ms % 1000 != 0),
            retry_after: (!slots.admitted).then_some(wait_seconds),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RateLimiter {
    store: Store,
}

fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// `POST /api/public/keys/revoke` requests allowed per source address a minute.
pub const PUBLIC_REVOKES_PER_MINUTE: usize = 10;

/// Failed key checks allowed per caller and source in any window; past them,
/// further failures from that source are answered 429.
pub const VERIFY_FAILURES_ALLOWED: usize = 5;
const VERIFY_WINDOW_MS: i64 = 300_000;

impl RateLimiter {
    pub fn new(store: Store) -> Self {
        RateLimiter { store }
    }

    /// Counts one request of `account_id` against `class`.
    pub async fn hit(&self, account_id: &AccountId, class: LimitClass) -> Result<RateLimitStatus, StoreError> {
        let now = now_ms();
        let limit = format!("rate#{account_id}#{}", class.name());
        let slots = self.store.take_slot(&limit, class.per_minute(), WINDOW_MS, now).await?;
        Ok(RateLimitStatus::of(&slots, WINDOW_MS, now))
    }

    /// Counts one public revocation request from the client at `source`:
    /// the seconds to wait when it made too many in the last minute.
    pub async fn hit_public_revoke(&self, source: &str) -> Result<Option<u64>, StoreError> {
        let now = now_ms();
        let limit = format!("public-revoke#{source}");
        let slots = self.store.take_slot(&limit, PUBLIC_REVOKES_PER_MINUTE, WINDOW_MS, now).await?;
        Ok(RateLimitStatus::of(&slots, WINDOW_MS, now).retry_after)
    }

    /// Counts a failed key check that `caller_scope` (one account, or one
    /// platform service key) made for the client at `source`. Returns the
    /// seconds to wait when that caller has seen too many failures from that
    /// source: one caller's failures never count against another's.
    pub async fn record_verify_failure(&self, caller_scope: &str, source: &str) -> Result<Option<u64>, StoreError> {
        let now = now_ms();
        let limit = format!("verify-failures#{caller_scope}#{source}");
        let slots = self.store.take_slot(&limit, VERIFY_FAILURES_ALLOWED, VERIFY_WINDOW_MS, now).await?;
        Ok(RateLimitStatus::of(&slots, VERIFY_WINDOW_MS, now).retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_of_a_sliding_window() {
        let now = 1_000_000_000;
        // Three of ten places taken in the last minute; one long free.
        let mut times = vec![0; 6];
        times.extend([now - 61_000, now - 59_500, now - 1_000, now]);
        let status = RateLimitStatus::of(&Slots { admitted: true, times: times.clone() }, WINDOW_MS, now);
        assert_eq!((status.limit, status.remaining, status.retry_after), (10, 7, None));
        assert_eq!(status.reset_epoch, 1_000_001, "rounded up to the second");
        // Full: the wait is until the oldest admission leaves the window.
        let full: Vec<i64> = (0..10).map(|i| now - 59_000 + i * 100).collect();
        let status = RateLimitStatus::of(&Slots { admitted: false, times: full }, WINDOW_MS, now);
        assert_eq!((status.remaining, status.retry_after), (0, Some(1)));
        let status = RateLimitStatus::of(&Slots { admitted: false, times: vec![now - 10_500; 10] }, WINDOW_MS, now);
        assert_eq!(status.retry_after, Some(50));
    }
}
