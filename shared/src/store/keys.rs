//! Accounts and keys. A key lives in two items written together: the auth
//! item `KEY#<sha256>` (found by one strongly consistent `GetItem` per
//! request) and the account's `API_KEY#<id>` item (for listing by account).

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};

use super::attrs::{s, string_list, Item, Reader};
use super::{Store, StoreError};
use crate::audit::AuditEvent;
use crate::auth::{Caller, KeyHash};
use crate::domain::permission::PermissionSet;

fn account_pk(account_id: &str) -> String {
    format!("ACCOUNT#{account_id}")
}

fn hash_pk(hash: &KeyHash) -> String {
    format!("KEY#{}", hash.as_str())
}

/// A key's metadata. Never the key itself.
#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub key_id: String,
    pub account_id: String,
    pub name: String,
    /// The display prefix, such as `pk_live_...`.
    pub prefix: String,
    pub permissions: PermissionSet,
    pub created_at: String,
    /// RFC 3339; `None` for a key that never expires.
    pub expires_at: Option<String>,
}

#[derive(Clone, Debug)]
pub struct AccountRecord {
    pub account_id: String,
    pub name: String,
    pub created_at: String,
}

fn put(table: &str, item: Item, condition: &str) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .build()
        .expect("table, item set");
    TransactWriteItem::builder().put(put).build()
}

fn item(pairs: Vec<(&str, AttributeValue)>) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn optional(value: &Option<String>) -> AttributeValue {
    value.as_ref().map(s).unwrap_or(AttributeValue::Null(true))
}

impl Store {
    fn key_items(&self, key: &KeyRecord, hash: &KeyHash) -> [TransactWriteItem; 2] {
        let permissions = string_list(key.permissions.names());
        let auth = item(vec![
            ("pk", s(hash_pk(hash))),
            ("sk", s("KEY")),
            ("entity", s("key_hash")),
            ("key_id", s(&key.key_id)),
            ("account_id", s(&key.account_id)),
            ("permissions", permissions.clone()),
            ("expires_at", optional(&key.expires_at)),
        ]);
        let meta = item(vec![
            ("pk", s(account_pk(&key.account_id))),
            ("sk", s(format!("API_KEY#{}", key.key_id))),
            ("entity", s("api_key")),
            ("key_id", s(&key.key_id)),
            ("account_id", s(&key.account_id)),
            ("key_hash", s(hash.as_str())),
            ("name", s(&key.name)),
            ("prefix", s(&key.prefix)),
            ("permissions", permissions),
            ("created_at", s(&key.created_at)),
            ("expires_at", optional(&key.expires_at)),
        ]);
        let table = &self.tables().main;
        [put(table, auth, "attribute_not_exists(pk)"), put(table, meta, "attribute_not_exists(pk)")]
    }

    /// Creates an account with its first key, and both audit records.
    pub async fn insert_account(
        &self,
        account: &AccountRecord,
        key: &KeyRecord,
        hash: &KeyHash,
        events: [&AuditEvent; 2],
    ) -> Result<(), StoreError> {
        let account_item = item(vec![
            ("pk", s(account_pk(&account.account_id))),
            ("sk", s("ACCOUNT")),
            ("entity", s("account")),
            ("account_id", s(&account.account_id)),
            ("name", s(&account.name)),
            ("created_at", s(&account.created_at)),
        ]);
        let mut items = vec![put(&self.tables().main, account_item, "attribute_not_exists(pk)")];
        items.extend(self.key_items(key, hash));
        items.extend(events.map(|e| self.audit_put(e)));
        self.transact(items).await
    }

    /// Adds a key to an existing account; `NotFound` when there is no such
    /// account.
    pub async fn insert_key(&self, key: &KeyRecord, hash: &KeyHash, event: &AuditEvent) -> Result<(), StoreError> {
        let account_exists = ConditionCheck::builder()
            .table_name(&self.tables().main)
            .key("pk", s(account_pk(&key.account_id)))
            .key("sk", s("ACCOUNT"))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("table, key, condition set");
        let mut items = vec![TransactWriteItem::builder().condition_check(account_exists).build()];
        items.extend(self.key_items(key, hash));
        items.push(self.audit_put(event));
        match self.transact(items).await {
            Err(StoreError::ConditionFailed { index: 0 }) => Err(StoreError::NotFound),
            other => other,
        }
    }

    /// The caller a key hash stands for, if the key exists, is not revoked
    /// and has not expired at `now` (RFC 3339, compared as text: both sides
    /// are UTC with the same shape).
    pub async fn caller_for_key(&self, hash: &KeyHash, now: &str) -> Result<Option<Caller>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(&self.tables().main)
            .key("pk", s(hash_pk(hash)))
            .key("sk", s("KEY"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        let Some(found) = out.item else { return Ok(None) };
        let r = Reader(&found);
        if r.opt_s("revoked_at")?.is_some() {
            return Ok(None);
        }
        if matches!(r.opt_s("expires_at")?, Some(expires_at) if expires_at.as_str() <= now) {
            return Ok(None);
        }
        let names = r.string_list("permissions")?;
        // A permission this build does not know grants nothing.
        let permissions = names.iter().filter_map(|n| crate::domain::permission::Permission::parse(n)).collect();
        Ok(Some(Caller { account_id: r.s("account_id")?, key_id: r.s("key_id")?, permissions }))
    }
}
