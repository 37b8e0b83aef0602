//! Accounts and the keys that `mailkeys-admin` mints: how the first key of an
//! account comes to exist, in the cloud as locally.

use crate::audit::{Actor, AuditEvent, AuditEventType};
use crate::auth::{IssuedKey, KeyPrefix};
use crate::domain::ids::{new_account_id, new_key_id, now_rfc3339};
use crate::domain::permission::{Permission, PermissionSet};
use crate::domain::Invalid;
use crate::store::keys::{AccountRecord, KeyRecord};
use crate::store::{Store, StoreError};

use super::ServiceError;

/// The actor recorded for changes made with the admin command.
pub const ADMIN_TOOL_ACTOR: &str = "mailkeys-admin";

#[derive(Clone, Debug)]
pub struct Accounts {
    store: Store,
    key_prefix: KeyPrefix,
}

/// A key as just created: the plaintext is in `key` and nowhere else.
#[derive(Debug)]
pub struct CreatedKey {
    pub record: KeyRecord,
    pub key: IssuedKey,
}

fn tool_actor(account_id: &str) -> Actor {
    Actor {
        account_id: account_id.to_string(),
        key_id: ADMIN_TOOL_ACTOR.to_string(),
        request_id: ulid::Ulid::new().to_string(),
    }
}

fn check_name(name: &str, what: &str) -> Result<String, Invalid> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 255 {
        return Err(Invalid(format!("{what} name must be 1 to 255 characters")));
    }
    Ok(trimmed.to_string())
}

impl Accounts {
    pub fn new(store: Store, key_prefix: KeyPrefix) -> Self {
        Accounts { store, key_prefix }
    }

    fn new_key(&self, account_id: &str, name: String, permissions: PermissionSet) -> CreatedKey {
        let key = IssuedKey::generate(self.key_prefix);
        let record = KeyRecord {
            key_id: new_key_id(),
            account_id: account_id.to_string(),
            name,
            prefix: self.key_prefix.display(),
            permissions,
            created_at: now_rfc3339(),
            expires_at: None,
        };
        CreatedKey { record, key }
    }

    fn key_event(actor: &Actor, created: &CreatedKey) -> AuditEvent {
        let fields = ["name", "permissions"].map(String::from).to_vec();
        AuditEvent::new(actor, AuditEventType::ApiKeyCreated, "api_key", &created.record.key_id, fields)
    }

    /// A new account and its first key, which holds `admin`.
    pub async fn create_account(&self, name: &str) -> Result<(AccountRecord, CreatedKey), ServiceError> {
        let account = AccountRecord {
            account_id: new_account_id(),
            name: check_name(name, "Account")?,
            created_at: now_rfc3339(),
        };
        let admin: PermissionSet = [Permission::Admin].into_iter().collect();
        let created = self.new_key(&account.account_id, "Admin key".to_string(), admin);
        let actor = tool_actor(&account.account_id);
        let account_event = AuditEvent::new(
            &actor,
            AuditEventType::AccountCreated,
            "account",
            &account.account_id,
            vec!["name".to_string()],
        );
        let key_event = Self::key_event(&actor, &created);
        self.store.insert_account(&account, &created.record, &created.key.hash, [&account_event, &key_event]).await?;
        Ok((account, created))
    }

    /// A new key in an existing account.
    pub async fn create_key(
        &self,
        account_id: &str,
        permissions: PermissionSet,
        name: Option<&str>,
    ) -> Result<CreatedKey, ServiceError> {
        if permissions.is_empty() {
            return Err(Invalid::new("A key needs at least one permission").into());
        }
        let name = check_name(name.unwrap_or("API key"), "Key")?;
        let created = self.new_key(account_id, name, permissions);
        let event = Self::key_event(&tool_actor(account_id), &created);
        match self.store.insert_key(&created.record, &created.key.hash, &event).await {
            Err(StoreError::NotFound) => Err(ServiceError::NotFound("Account not found")),
            other => other.map(|()| created).map_err(Into::into),
        }
    }
}
