//! Keys reported as exposed (by GitHub's secret scanning, or by anyone who
//! holds one): each of ours that is active is revoked at once, whoever owns
//! it and whatever it holds, with an `API_KEY_EXPOSED` record in the same
//! transaction. A token that cannot be ours (prefix and checksum) costs no
//! DynamoDB call; the rest are read in batches, and revoked in parallel.

use std::collections::HashMap;

use futures_util::future::try_join_all;

use crate::audit::{Actor, AuditEvent, AuditEventType};
use crate::auth::{recognise, KeyHash, KeyPrefix};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::timestamp::Timestamp;
use crate::store::keys::exposure::{ExposedKey, ExposureNote, Revocable, RevocableOwner};
use crate::store::{Store, StoreError};

use super::accounts::SERVICE_KEY_RESOURCE;
use super::keys::RESOURCE_TYPE;
use super::ServiceError;

/// A revocation that lost a race re-reads the key this many times.
const ATTEMPTS: usize = 3;

/// One reported token, and where it was found.
pub struct Reported {
    pub token: SecretString,
    pub url: Option<String>,
    pub source: Option<String>,
}

/// What was found of a reported token: `true` when it is, or was, one of
/// ours (revoked or expired ones count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The SHA-256 of the token, hex: how the answer names it.
    pub token_hash: String,
    pub ours: bool,
}

/// Who reported: recorded as the actor of each revocation.
#[derive(Clone, Copy, Debug)]
pub struct Reporter<'a> {
    pub actor: &'static str,
    pub request_id: &'a str,
}

#[derive(Clone, Debug)]
pub struct Exposures {
    store: Store,
}

impl Exposures {
    pub fn new(store: Store) -> Self {
        Exposures { store }
    }

    /// Revokes each active key of ours among `reported`; one finding per
    /// reported token, in order. A report sent again revokes nothing more
    /// and records nothing more: its keys are revoked already.
    pub async fn report(&self, reported: &[Reported], by: Reporter<'_>) -> Result<Vec<Finding>, ServiceError> {
        let hashes: Vec<(String, bool)> = reported
            .iter()
            .map(|r| {
                let token = r.token.expose_secret();
                match recognise(token) {
                    Some((_, hash)) => (hash.as_str().to_string(), true),
                    None => (KeyHash::of(token).as_str().to_string(), false),
                }
            })
            .collect();
        // Each key once: where it was first reported says where it was found.
        let mut first_report: HashMap<&str, &Reported> = HashMap::new();
        for ((hash, _), report) in hashes.iter().zip(reported).filter(|((_, may_be_ours), _)| *may_be_ours) {
            first_report.entry(hash.as_str()).or_insert(report);
        }
        let wanted: Vec<String> = first_report.keys().map(|h| h.to_string()).collect();
        let found = match wanted.is_empty() {
            true => HashMap::new(),
            false => self.store.exposed_keys(&wanted).await?,
        };
        let revocations = found
            .values()
            .filter(|key| key.active)
            .map(|key| self.revoke(key.clone(), first_report[key.hash.as_str()], by));
        try_join_all(revocations).await?;
        Ok(hashes
            .into_iter()
            .map(|(token_hash, _)| Finding { ours: found.contains_key(&token_hash), token_hash })
            .collect())
    }

    /// Revokes one exposed key; a key changed meanwhile is read again, and
    /// one revoked meanwhile (by its owner, or by a report at the same
    /// time) is left as it is.
    async fn revoke(&self, key: ExposedKey, report: &Reported, by: Reporter<'_>) -> Result<(), ServiceError> {
        let note = ExposureNote { url: report.url.as_deref() };
        let mut key = self.store.revocable(key).await?;
        for _ in 0..ATTEMPTS {
            let event = exposure_event(&key, report, by);
            match self.store.revoke_exposed_key(&key, Timestamp::now(), &note, &event).await {
                Ok(()) => {
                    tracing::warn!(actor = by.actor, key_id = %event.resource_id, "revoked a key reported as exposed");
                    return Ok(());
                }
                Err(StoreError::ConditionFailed { .. }) => match self.store.exposed_key(&key.hash).await? {
                    Some(now) if now.active => key = self.store.revocable(now).await?,
                    _ => return Ok(()),
                },
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Conflict("The key was changed by another request at the same time"))
    }
}

/// The record of an exposed key's revocation: who reported, where it was
/// found; never the key.
fn exposure_event(key: &Revocable, report: &Reported, by: Reporter<'_>) -> AuditEvent {
    let revoked = vec!["revoked_at".to_string()];
    let event = match &key.owner {
        RevocableOwner::Tenant { account_id, key_id, listed } => {
            let actor = Actor {
                account_id: account_id.clone(),
                key_id: by.actor.to_string(),
                request_id: by.request_id.to_string(),
            };
            AuditEvent::new(&actor, AuditEventType::ApiKeyExposed, RESOURCE_TYPE, key_id, listed.version + 1, revoked)
                .with_key(&listed.prefix, listed.face)
        }
        RevocableOwner::Service { key_id } => AuditEvent::of_platform_by(
            by.actor,
            by.request_id,
            AuditEventType::ApiKeyExposed,
            SERVICE_KEY_RESOURCE,
            key_id,
            2,
            revoked,
        )
        .with_key_prefix(&KeyPrefix::Service.display()),
    };
    event.with_exposure(report.url.as_deref(), report.source.as_deref())
}
