//! Expiry reminders: once 7 days and once 1 day before a key expires (and
//! 1 day before the end of a rotation overlap longer than a day), an
//! `API_KEY_EXPIRING` record, which the stream turns into
//! `api_key.expiring` or `smtp_credential.expiring`. Run daily; a reminder
//! is marked on the key in the same transaction as its record, so a
//! threshold is never told twice, however often it runs.

use crate::audit::{Actor, AuditEvent, AuditEventType, EXPIRY_REMINDER_ACTOR};
use crate::domain::timestamp::Timestamp;
use crate::store::keys::expiry::ExpiringKey;
use crate::store::{Store, StoreError};

use super::keys::RESOURCE_TYPE;
use super::ServiceError;

/// (mark, how long before the expiry), most urgent first.
const THRESHOLDS: [(&str, time::Duration); 2] = [("1d", time::Duration::days(1)), ("7d", time::Duration::days(7))];

#[derive(Clone, Debug)]
pub struct Reminders {
    store: Store,
}

/// The reminder due for `key` at `now`, if any: the most urgent threshold
/// passed and not yet told, and the marks it settles (a key first seen a
/// day before its expiry is told once, not twice).
fn due(key: &ExpiringKey, now: Timestamp) -> Option<Vec<&'static str>> {
    let record = &key.key;
    let expires_at = record.expires_at?;
    if record.revoked_at.is_some() || expires_at <= now {
        return None;
    }
    let left = expires_at.as_offset_date_time() - now.as_offset_date_time();
    // A rotated-away key in its overlap: told only before an overlap of
    // more than a day ends, and only the day before.
    if record.replaced_by.is_some() {
        let overlap = expires_at.as_offset_date_time() - record.updated_at.as_offset_date_time();
        if overlap <= time::Duration::days(1) {
            return None;
        }
    }
    let thresholds = match record.replaced_by {
        Some(_) => &THRESHOLDS[..1],
        None => &THRESHOLDS[..],
    };
    let (index, _) = thresholds.iter().enumerate().find(|(_, (_, before))| left <= *before)?;
    let settled: Vec<&'static str> = thresholds[index..].iter().map(|(mark, _)| *mark).collect();
    let fresh: Vec<&'static str> = settled.into_iter().filter(|m| !key.reminders.iter().any(|r| r == m)).collect();
    // Only when the most urgent one is new.
    (fresh.first() == Some(&thresholds[index].0)).then_some(fresh)
}

impl Reminders {
    pub fn new(store: Store) -> Self {
        Reminders { store }
    }

    /// Tells what is due at `now`; how many reminders it wrote.
    pub async fn run(&self, now: Timestamp) -> Result<usize, ServiceError> {
        let mut written = 0;
        for day in 0..=7 {
            for key in self.store.keys_expiring_on(now + time::Duration::days(day)).await? {
                let Some(marks) = due(&key, now) else { continue };
                let record = &key.key;
                let actor = Actor {
                    account_id: record.account_id.clone(),
                    key_id: EXPIRY_REMINDER_ACTOR.to_string(),
                    request_id: ulid::Ulid::new().to_string(),
                };
                let event = AuditEvent::new(
                    &actor,
                    AuditEventType::ApiKeyExpiring,
                    RESOURCE_TYPE,
                    &record.key_id,
                    record.version,
                    Vec::new(),
                )
                .with_key(&record.prefix, record.face)
                .with_expires_at(record.expires_at.unwrap_or(now));
                match self.store.mark_reminded(&key, &marks, &event).await {
                    Ok(()) => written += 1,
                    // Told by a concurrent run, or changed meanwhile: the next run sees it as it is.
                    Err(StoreError::ConditionFailed { .. }) => {}
                    Err(other) => return Err(other.into()),
                }
            }
        }
        Ok(written)
    }
}

/// The scheduled function's `main`.
pub async fn run_scheduled() -> Result<(), lambda_http::Error> {
    crate::logging::init();
    let state = crate::app::AppState::from_env().await?;
    let reminders = &state.reminders;
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        |_event: lambda_http::LambdaEvent<serde_json::Value>| async move {
            let written = reminders.run(Timestamp::now()).await?;
            tracing::info!(written, "expiry reminders");
            Ok::<_, lambda_http::Error>(serde_json::json!({ "reminders": written }))
        },
    ))
    .await
}
