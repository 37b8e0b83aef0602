//! Accounts, and the keys that `mailkeys-admin` mints: how the first key of
//! an account comes to exist, in the cloud as locally.

use crate::audit::{Actor, AuditEvent, AuditEventType, ADMIN_TOOL_ACTOR};
use crate::auth::{IssuedKey, KeyPrefix};
use crate::domain::ids::{AccountId, KeyId, ServiceKeyId};
use crate::domain::key::{key_name, KeyFace, NewKey};
use crate::domain::permission::{Permission, PermissionSet};
use crate::domain::timestamp::Timestamp;
use crate::domain::Invalid;
use crate::store::keys::{AccountRecord, KeyRecord, ServiceKeyRecord};
use crate::store::{Store, StoreError};

use super::keys::{CreatedKey, Keys};
use super::ServiceError;

pub const SERVICE_KEY_RESOURCE: &str = "service_key";

#[derive(Clone, Debug)]
pub struct Accounts {
    store: Store,
    keys: Keys,
}

fn tool_actor(account_id: &AccountId) -> Actor {
    Actor {
        account_id: account_id.clone(),
        key_id: ADMIN_TOOL_ACTOR.to_string(),
        request_id: ulid::Ulid::new().to_string(),
    }
}

impl Accounts {
    pub fn new(store: Store, keys: Keys) -> Self {
        Accounts { store, keys }
    }

    /// A new account and its first email API key, which holds `admin`.
    pub async fn create_account(&self, name: &str) -> Result<(AccountRecord, CreatedKey), ServiceError> {
        let name = key_name(name).map_err(|_| Invalid::field("name", "Account name must be 1 to 255 characters"))?;
        let account = AccountRecord { account_id: AccountId::new(), name, created_at: Timestamp::now() };
        let admin = NewKey {
            name: "Admin key".to_string(),
            permissions: [Permission::Admin].into_iter().collect(),
            expires_in_days: None,
            device: None,
            allowed_cidrs: Default::default(),
        };
        let created = self.keys.build(&account.account_id, KeyFace::Email, admin);
        let actor = tool_actor(&account.account_id);
        let account_event = AuditEvent::new(
            &actor,
            AuditEventType::AccountCreated,
            "account",
            &account.account_id,
            1,
            vec!["name".into()],
        );
        let key_event = Keys::created_event(&actor, &created);
        self.store.insert_account(&account, &created.record, [&account_event, &key_event]).await?;
        Ok((account, created))
    }

    /// A new platform service key: the internal routes, for every account.
    pub async fn create_service_key(&self, name: &str) -> Result<(ServiceKeyRecord, IssuedKey), ServiceError> {
        let name = key_name(name)?;
        let key = IssuedKey::generate(KeyPrefix::Service);
        let record = ServiceKeyRecord {
            key_id: ServiceKeyId::new(),
            key_hash: key.hash.as_str().to_string(),
            name,
            created_at: Timestamp::now(),
            last_use: None,
            revoked_at: None,
            revoked_reason: None,
            exposed_url: None,
        };
        let event = AuditEvent::of_platform(
            AuditEventType::ApiKeyCreated,
            SERVICE_KEY_RESOURCE,
            &record.key_id,
            1,
            vec!["name".into()],
        );
        self.store.insert_service_key(&record, &event).await?;
        Ok((record, key))
    }

    /// Every account, by id (the operator's view).
    pub async fn list_accounts(&self) -> Result<Vec<AccountRecord>, ServiceError> {
        Ok(self.store.list_accounts().await?)
    }

    /// Puts keys made before the active-keys index there, and keys given an
    /// expiry before the expiry index there (see
    /// [`Store::backfill_key_listings`], [`Store::backfill_expiry_index`]);
    /// how many writes it made.
    pub async fn migrate_keys(&self) -> Result<usize, ServiceError> {
        Ok(self.store.backfill_key_listings().await? + self.store.backfill_expiry_index().await?)
    }

    /// Gives audit records written before versions were their place in
    /// the listing by resource (see [`Store::backfill_audit_order`]); how
    /// many were written.
    pub async fn migrate_audit(&self) -> Result<usize, ServiceError> {
        Ok(self.store.backfill_audit_order().await?)
    }

    /// Every key of an account, revoked and expired ones included (the
    /// operator's view).
    pub async fn list_keys(&self, account_id: &AccountId) -> Result<Vec<KeyRecord>, ServiceError> {
        Ok(self.store.list_keys(account_id).await?)
    }

    pub async fn list_service_keys(&self) -> Result<Vec<ServiceKeyRecord>, ServiceError> {
        Ok(self.store.list_service_keys().await?)
    }

    pub async fn revoke_service_key(&self, key_id: &ServiceKeyId) -> Result<(), ServiceError> {
        let event = AuditEvent::of_platform(
            AuditEventType::ApiKeyRevoked,
            SERVICE_KEY_RESOURCE,
            key_id,
            // A service key is created (1) and revoked (2), nothing else.
            2,
            vec!["revoked_at".into()],
        );
        match self.store.revoke_service_key(key_id, Timestamp::now(), &event).await {
            Err(StoreError::NotFound | StoreError::ConditionFailed { .. }) => {
                Err(ServiceError::NotFound("No active service key with this id"))
            }
            other => other.map_err(Into::into),
        }
    }

    /// Revokes any key of an account: the operator's way out when an account
    /// has lost control of its keys. No rule of the API stands in the way.
    pub async fn revoke_key(&self, account_id: &AccountId, key_id: &KeyId) -> Result<(), ServiceError> {
        self.keys.revoke_as_operator(&tool_actor(account_id), key_id).await
    }

    /// A new key in an existing account, with any permissions: this is the
    /// operator's tool, outside the API's escalation rule.
    pub async fn create_key(
        &self,
        account_id: &AccountId,
        permissions: PermissionSet,
        name: Option<&str>,
    ) -> Result<CreatedKey, ServiceError> {
        if permissions.is_empty() {
            return Err(Invalid::field("permissions", "A key needs at least one permission").into());
        }
        let name = key_name(name.unwrap_or("API key"))?;
        // Protocol scopes make a mail-protocol key; anything else an email API key.
        let face = if permissions.iter().all(|p| KeyFace::Smtp.vocabulary().contains(&p)) {
            KeyFace::Smtp
        } else {
            KeyFace::Email
        };
        let new = NewKey { name, permissions, expires_in_days: None, device: None, allowed_cidrs: Default::default() };
        let created = self.keys.build(account_id, face, new);
        let event = Keys::created_event(&tool_actor(account_id), &created);
        match self.store.insert_key(&created.record, &event).await {
            Err(StoreError::NotFound) => Err(ServiceError::NotFound("Account not found")),
            other => other.map(|()| created).map_err(Into::into),
        }
    }
}
