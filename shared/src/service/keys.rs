//! The key store's operations, for both faces and for request checks.

use std::net::IpAddr;

use crate::domain::timestamp::Timestamp;
use time::{Duration, OffsetDateTime};

use crate::audit::{Actor, AuditEvent, AuditEventType};
use crate::auth::{recognise, Caller, InternalScope, IssuedKey, KeyHash, KeyPrefix, Principal};
use crate::domain::allowed_cidrs::{self, AllowedCidrs};
use crate::domain::ids::{AccountId, KeyId};
use crate::domain::key::{KeyFace, KeyPatch, KeyUse, MailProtocol, NewKey, Overlap};
use crate::domain::permission::{Permission, PermissionSet};
use crate::domain::Invalid;
use crate::store::keys::{KeyFilter, KeyRecord};
use crate::store::{Store, StoreError};

use super::page::{paginate, Page};
use super::ServiceError;

/// A cursor of a key list: the id of the previous page's last key.
pub fn page_cursor(raw: Option<&str>) -> Result<Option<KeyId>, crate::domain::Invalid> {
    super::page::page_cursor(raw, KeyId::parse)
}

pub const RESOURCE_TYPE: &str = "api_key";
pub const NOT_FOUND: &str = "API key not found";
const ESCALATION: &str = "A key cannot be given permissions that the calling key does not hold";
const CONFLICT: &str = "The key was changed by another request at the same time";
const REVOKE_STRONGER: &str = "A key cannot revoke a key holding permissions that it does not hold";
const CHANGE_STRONGER: &str = "A key cannot change a key holding permissions that it does not hold";
const ALREADY_ROTATED: &str = "The key has already been rotated";
pub const NOT_ALLOWED_FROM: &str = "Key not allowed from this address";
const SELF_LOCKOUT: &str = "allowedCidrs must include the address this request comes from: \
     a key cannot shut itself out (change it from an address inside the new networks, or with another key)";
const LAST_ADMIN: &str = "This is the account's last active key holding admin: \
     create another admin key first, or the account could no longer manage its keys";

/// `lastUsedAt` is written at most this often per key.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// Where a key is used from and what for: what its allow-list is checked
/// against and what its last use records.
#[derive(Clone, Debug)]
pub struct UseSite {
    /// The client's address, as API Gateway or the socket saw it, or as a
    /// mail server reports its client.
    pub from: Option<IpAddr>,
    /// The route's function name (`whoami`), or a mail protocol (`imap`).
    pub used_for: String,
}

/// A presented key that is valid (known, neither revoked nor expired), as
/// [`Keys::look_up`] found it; [`Keys::accept`] records its use.
#[derive(Debug)]
pub struct FoundKey {
    principal: Principal,
    hash: KeyHash,
    last_used_at: Option<Timestamp>,
    allowed_cidrs: AllowedCidrs,
    checked_at: Timestamp,
}

/// A rotation's answer: the new key, and until when the old one works
/// (`None`: it stopped at once).
#[derive(Debug)]
pub struct RotatedKey {
    pub created: CreatedKey,
    pub old_until: Option<Timestamp>,
}

/// A key as just created: the plaintext is in `key` and nowhere else.
#[derive(Debug)]
pub struct CreatedKey {
    pub record: KeyRecord,
    pub key: IssuedKey,
}

#[derive(Clone, Debug)]
pub struct Keys {
    store: Store,
    email_prefix: KeyPrefix,
}

fn conflict_or(err: StoreError) -> ServiceError {
    match err {
        StoreError::ConditionFailed { .. } => ServiceError::Conflict(CONFLICT),
        StoreError::NotFound => ServiceError::NotFound(NOT_FOUND),
        other => other.into(),
    }
}

fn holds_admin(key: &KeyRecord) -> bool {
    key.permissions.allows(Permission::Admin)
}

/// A record of a change to `key` that leaves it at `version`.
fn key_event(
    actor: &Actor,
    event_type: AuditEventType,
    key: &KeyRecord,
    version: u64,
    fields: Vec<String>,
) -> AuditEvent {
    AuditEvent::new(actor, event_type, RESOURCE_TYPE, &key.key_id, version, fields).with_key(&key.prefix, key.face)
}

impl Keys {
    pub fn new(store: Store, email_prefix: KeyPrefix) -> Self {
        Keys { store, email_prefix }
    }

    fn prefix_for(&self, face: KeyFace) -> KeyPrefix {
        match face {
            KeyFace::Email => self.email_prefix,
            KeyFace::Smtp => KeyPrefix::Smtp,
        }
    }

    /// A new key and its record, not yet stored.
    pub fn build(&self, account_id: &AccountId, face: KeyFace, new: NewKey) -> CreatedKey {
        let prefix = self.prefix_for(face);
        let key = IssuedKey::generate(prefix);
        let now = OffsetDateTime::now_utc();
        let created_at = Timestamp::from(now);
        let expires_at = new.expires_in_days.map(|days| Timestamp::from(now + Duration::days(days as i64)));
        let record = KeyRecord {
            key_id: KeyId::new(),
            account_id: account_id.clone(),
            face,
            key_hash: key.hash.as_str().to_string(),
            name: new.name,
            prefix: prefix.display(),
            permissions: new.permissions,
            device: new.device,
            updated_at: created_at,
            created_at,
            expires_at,
            last_use: None,
            revoked_at: None,
            revoked_reason: None,
            exposed_url: None,
            replaced_by: None,
            allowed_cidrs: new.allowed_cidrs,
            version: 1,
        };
        CreatedKey { record, key }
    }

    pub fn created_event(actor: &Actor, created: &CreatedKey) -> AuditEvent {
        let mut fields = vec!["name".to_string(), "permissions".to_string()];
        if created.record.expires_at.is_some() {
            fields.push("expires_at".to_string());
        }
        if !created.record.allowed_cidrs.is_empty() {
            fields.push("allowed_cidrs".to_string());
        }
        key_event(actor, AuditEventType::ApiKeyCreated, &created.record, created.record.version, fields)
    }

    /// Who a presented key stands for: `None` for a key that is not ours
    /// (refused without a DynamoDB call), unknown, revoked or expired;
    /// `Forbidden` for one used from outside its allow-list. Records the use
    /// at most once a minute.
    pub async fn authenticate(&self, presented: &str, site: &UseSite) -> Result<Option<Principal>, ServiceError> {
        let Some(found) = self.look_up(presented).await? else { return Ok(None) };
        if !found.allowed_cidrs.allows(site.from) {
            return Err(ServiceError::Forbidden(NOT_ALLOWED_FROM));
        }
        Ok(Some(self.accept(found, site)))
    }

    /// The valid key `presented` is, if any, with its use not yet recorded:
    /// a check that looks a key up before its own caller is known (the
    /// internal routes) accepts it only once the caller passed.
    pub async fn look_up(&self, presented: &str) -> Result<Option<FoundKey>, ServiceError> {
        let Some((_, hash)) = recognise(presented) else { return Ok(None) };
        let Some(found) = self.store.auth_record(&hash).await? else { return Ok(None) };
        let checked_at = Timestamp::now();
        let expired = found.expires_at.is_some_and(|at| at <= checked_at);
        if found.revoked_at.is_some() || expired {
            return Ok(None);
        }
        Ok(Some(FoundKey {
            principal: found.principal,
            hash,
            last_used_at: found.last_used_at,
            allowed_cidrs: found.allowed_cidrs,
            checked_at,
        }))
    }

    /// Whom a found key stands for; its use (when, from where, what for) is
    /// recorded, at most once a minute, beside the request.
    pub fn accept(&self, found: FoundKey, site: &UseSite) -> Principal {
        let cutoff = found.checked_at - TOUCH_INTERVAL;
        if found.last_used_at.is_none_or(|at| at < cutoff) {
            // Bookkeeping only: beside the request's own calls, and a
            // failure here must not fail the request.
            let store = self.store.clone();
            let hash = found.hash;
            let used = KeyUse { at: found.checked_at, from: site.from, used_for: Some(site.used_for.clone()) };
            crate::bookkeeping::defer(async move {
                if let Err(err) = store.touch_key(&hash, &used, cutoff).await {
                    tracing::warn!(error = %err, "could not record key use");
                }
            });
        }
        found.principal
    }

    /// Creates a key of `face` for the actor's account. The caller can never
    /// grant what it does not hold.
    pub async fn create(
        &self,
        actor: &Actor,
        granter: &PermissionSet,
        face: KeyFace,
        new: NewKey,
    ) -> Result<CreatedKey, ServiceError> {
        if !granter.covers(&new.permissions) {
            return Err(ServiceError::Forbidden(ESCALATION));
        }
        let created = self.build(&actor.account_id, face, new);
        let event = Self::created_event(actor, &created);
        self.store.insert_key(&created.record, &event).await?;
        Ok(created)
    }

    /// A page of the active keys of one face, oldest first, after the key
    /// id `after` (see [`page_cursor`]).
    pub async fn list(
        &self,
        account_id: &AccountId,
        face: KeyFace,
        limit: usize,
        after: Option<&KeyId>,
    ) -> Result<Page<KeyRecord>, ServiceError> {
        let keys = self.store.page_active_keys(account_id, face, limit + 1, after, KeyFilter::All).await?;
        Ok(paginate(keys, limit, |k| k.key_id.to_string()))
    }

    /// An active key of one face in the caller's account; anything else is
    /// "not found".
    async fn get_active(
        &self,
        account_id: &AccountId,
        face: KeyFace,
        key_id: &KeyId,
    ) -> Result<KeyRecord, ServiceError> {
        match self.store.get_key(account_id, key_id).await {
            Ok(key) if key.face == face && key.is_active(Timestamp::now()) => Ok(key),
            Ok(_) | Err(StoreError::NotFound) => Err(ServiceError::NotFound(NOT_FOUND)),
            Err(other) => Err(other.into()),
        }
    }

    /// Renames a key, changes its permissions (email API keys) or its
    /// allow-list. A key cannot give itself an allow-list that leaves out
    /// the address `site` is from: the request that sets it would be its
    /// last.
    pub async fn update(
        &self,
        actor: &Actor,
        granter: &PermissionSet,
        face: KeyFace,
        key_id: &KeyId,
        patch: KeyPatch,
        site: &UseSite,
    ) -> Result<KeyRecord, ServiceError> {
        let current = self.get_active(&actor.account_id, face, key_id).await?;
        // An `app` key may not rename or rebind the mail servers' `internal`
        // key (email API keys are managed with `admin`, which covers all).
        if face == KeyFace::Smtp && !granter.covers(&current.permissions) {
            return Err(ServiceError::Forbidden(CHANGE_STRONGER));
        }
        if let Some(permissions) = &patch.permissions {
            if !granter.covers(permissions) {
                return Err(ServiceError::Forbidden(ESCALATION));
            }
        }
        if let Some(cidrs) = &patch.allowed_cidrs {
            if actor.key_id == key_id.as_str() && !cidrs.allows(site.from) {
                return Err(Invalid::field(allowed_cidrs::FIELD, SELF_LOCKOUT).into());
            }
        }
        let mut updated = current.clone();
        let mut fields = Vec::new();
        if let Some(name) = patch.name.filter(|n| *n != current.name) {
            updated.name = name;
            fields.push("name".to_string());
        }
        if let Some(permissions) = patch.permissions.filter(|p| *p != current.permissions) {
            updated.permissions = permissions;
            fields.push("permissions".to_string());
        }
        if let Some(cidrs) = patch.allowed_cidrs.filter(|c| *c != current.allowed_cidrs) {
            updated.allowed_cidrs = cidrs;
            fields.push("allowed_cidrs".to_string());
        }
        if fields.is_empty() {
            return Ok(current);
        }
        let keep_alive = match holds_admin(&current) && !holds_admin(&updated) {
            true => Some(self.other_admin(&current).await?),
            false => None,
        };
        updated.updated_at = Timestamp::now();
        updated.version += 1;
        let event = key_event(actor, AuditEventType::ApiKeyUpdated, &current, updated.version, fields);
        self.store.update_key(&current, &updated, &event, keep_alive.as_ref()).await.map_err(conflict_or)?;
        Ok(updated)
    }

    /// Another active admin key of the account than `key`, which must stay
    /// so while `key` loses admin (the one that expires last). Without one,
    /// the change would lock the account out of its own keys.
    async fn other_admin(&self, key: &KeyRecord) -> Result<KeyRecord, ServiceError> {
        // Read through the active-keys index (admin keys only): the
        // transaction then checks the chosen key's own item.
        let admins = self
            .store
            .page_active_keys(&key.account_id, KeyFace::Email, usize::MAX, None, KeyFilter::HoldsAdmin)
            .await?;
        admins
            .into_iter()
            // A key rotated away is on its way out: it keeps nothing alive.
            .filter(|k| k.key_id != key.key_id && k.replaced_by.is_none())
            // A key that never expires outlasts every other.
            .max_by_key(|k| (k.expires_at.is_none(), k.expires_at))
            .ok_or(ServiceError::Conflict(LAST_ADMIN))
    }

    /// Revokes any active key of the actor's account, whatever it holds:
    /// the operator's tool, outside the API's rules.
    pub async fn revoke_as_operator(&self, actor: &Actor, key_id: &KeyId) -> Result<(), ServiceError> {
        let key = match self.store.get_key(&actor.account_id, key_id).await {
            Ok(key) if key.is_active(Timestamp::now()) => key,
            Ok(_) | Err(StoreError::NotFound) => return Err(ServiceError::NotFound(NOT_FOUND)),
            Err(other) => return Err(other.into()),
        };
        let revoked = vec!["revoked_at".to_string()];
        let event = key_event(actor, AuditEventType::ApiKeyRevoked, &key, key.version + 1, revoked);
        self.store.revoke_key(&key, Timestamp::now(), &event, None).await.map_err(conflict_or)
    }

    /// Revokes a key. Like minting, revoking is limited to keys no stronger
    /// than the caller's own: an `app` key cannot revoke the mail servers'
    /// `internal` key.
    pub async fn revoke(
        &self,
        actor: &Actor,
        granter: &PermissionSet,
        face: KeyFace,
        key_id: &KeyId,
    ) -> Result<KeyRecord, ServiceError> {
        let mut key = self.get_active(&actor.account_id, face, key_id).await?;
        if !granter.covers(&key.permissions) {
            return Err(ServiceError::Forbidden(REVOKE_STRONGER));
        }
        let keep_alive = match holds_admin(&key) {
            true => Some(self.other_admin(&key).await?),
            false => None,
        };
        let now = Timestamp::now();
        let revoked = vec!["revoked_at".to_string()];
        let event = key_event(actor, AuditEventType::ApiKeyRevoked, &key, key.version + 1, revoked);
        self.store.revoke_key(&key, now, &event, keep_alive.as_ref()).await.map_err(conflict_or)?;
        key.revoked_at = Some(now);
        Ok(key)
    }

    /// The key a rotation replaces: active, of `face`. One rotated away
    /// already (a rotation that lost the race to another) is a conflict, not
    /// a missing key.
    pub async fn rotation_source(
        &self,
        account_id: &AccountId,
        face: KeyFace,
        key_id: &KeyId,
    ) -> Result<KeyRecord, ServiceError> {
        match self.get_active(account_id, face, key_id).await {
            Err(ServiceError::NotFound(_)) => match self.store.get_key(account_id, key_id).await {
                Ok(key) if key.face == face && key.replaced_by.is_some() => {
                    Err(ServiceError::Conflict(ALREADY_ROTATED))
                }
                _ => Err(ServiceError::NotFound(NOT_FOUND)),
            },
            // In its overlap a rotated key still works, but is rotated.
            Ok(key) if key.replaced_by.is_some() => Err(ServiceError::Conflict(ALREADY_ROTATED)),
            other => other,
        }
    }

    /// A new key with the same name, permissions, device, expiry and
    /// allow-list as `old` (from [`Keys::rotation_source`]), in the same
    /// transaction as the old one's end — at once, or after `overlap` —
    /// on the condition that nothing changed it meanwhile.
    pub async fn rotate(
        &self,
        actor: &Actor,
        granter: &PermissionSet,
        face: KeyFace,
        old: KeyRecord,
        overlap: Overlap,
    ) -> Result<RotatedKey, ServiceError> {
        if !granter.covers(&old.permissions) {
            return Err(ServiceError::Forbidden(ESCALATION));
        }
        let new = NewKey {
            name: old.name.clone(),
            permissions: old.permissions.clone(),
            expires_in_days: None,
            device: old.device.clone(),
            allowed_cidrs: old.allowed_cidrs.clone(),
        };
        let mut created = self.build(&actor.account_id, face, new);
        // A rotation replaces the secret, not its lifetime: the new key
        // expires when the old one would have (never, for one without).
        created.record.expires_at = old.expires_at;
        let now = created.record.created_at;
        // The old key never outlives its own expiry.
        let old_until = overlap.deadline(now).map(|until| old.expires_at.map_or(until, |own| own.min(until)));
        let mut event = key_event(actor, AuditEventType::ApiKeyRotated, &old, old.version + 1, vec!["key".to_string()])
            .with_related_resource(&created.record.key_id);
        if let Some(until) = old_until {
            event = event.with_old_key_expires_at(until);
        }
        self.store.rotate_key(&old, &created.record, now, old_until, &event).await.map_err(conflict_or)?;
        Ok(RotatedKey { created, old_until })
    }

    /// The key check of the mail servers, on what [`Keys::look_up`] found
    /// for the presented key (beside the caller's own key check, which has
    /// passed): the caller of an active tenant key that holds `protocol`'s
    /// scope and that `scope` may see, or `None`. Only such a use is
    /// recorded.
    ///
    /// `client` is the address the mail server checks the login for: a key
    /// with an allow-list is valid only for a client inside it (and never
    /// for one the mail server did not name).
    pub fn verified(
        &self,
        scope: &InternalScope,
        found: Option<FoundKey>,
        protocol: MailProtocol,
        client: Option<IpAddr>,
    ) -> Option<Caller> {
        let found = found?;
        let caller = match &found.principal {
            Principal::Tenant(caller) if caller.holds(protocol.permission()) && scope.covers(&caller.account_id) => {
                caller.clone()
            }
            _ => return None,
        };
        if !found.allowed_cidrs.allows(client) {
            return None;
        }
        self.accept(found, &UseSite { from: client, used_for: protocol.as_str().to_string() });
        Some(caller)
    }
}
