//! Accounts, keys and platform service keys. A key lives in two items,
//! always written together:
//!
//! - the auth item `KEY#<sha256>`: everything a request check needs, found by
//!   one strongly consistent `GetItem`;
//! - the account's `API_KEY#<id>` item: the metadata that lists show.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};

use super::attrs::{n, s, string_list, Item, Reader};
use super::{Store, StoreError};
use crate::audit::AuditEvent;
use crate::auth::{Caller, KeyHash, Principal};
use crate::domain::key::{KeyFace, MobileDevice, Platform};
use crate::domain::permission::{Permission, PermissionSet};

fn account_pk(account_id: &str) -> String {
    format!("ACCOUNT#{account_id}")
}

fn hash_pk(hash: &str) -> String {
    format!("KEY#{hash}")
}

fn meta_sk(key_id: &str) -> String {
    format!("API_KEY#{key_id}")
}

/// Platform service keys: their metadata under one partition of their own,
/// which no account's list reads; their auth items say `kind = service`.
const SERVICE_KEYS_PK: &str = "SERVICE_KEYS";
const SERVICE_KIND: &str = "service";

fn service_sk(key_id: &str) -> String {
    format!("SERVICE_KEY#{key_id}")
}

/// A platform service key's metadata. Never the key itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceKeyRecord {
    pub key_id: String,
    pub key_hash: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A key's metadata. Never the key itself.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRecord {
    pub key_id: String,
    pub account_id: String,
    pub face: KeyFace,
    /// The SHA-256 of the key (hex), which names its auth item.
    pub key_hash: String,
    pub name: String,
    /// The display prefix, such as `pk_live_...`.
    pub prefix: String,
    pub permissions: PermissionSet,
    pub device: Option<MobileDevice>,
    pub created_at: String,
    pub updated_at: String,
    /// RFC 3339; `None` for a key that never expires.
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// For a key revoked by rotation: the key that replaced it.
    pub replaced_by: Option<String>,
    pub version: u64,
}

impl KeyRecord {
    /// Usable at `now`: not revoked, not expired. RFC 3339 UTC times of one
    /// shape compare correctly as text.
    pub fn is_active(&self, now: &str) -> bool {
        self.revoked_at.is_none() && !matches!(&self.expires_at, Some(at) if at.as_str() <= now)
    }
}

/// What the auth item holds: enough to check a request.
#[derive(Clone, Debug)]
pub struct AuthRecord {
    pub principal: Principal,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
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

fn permissions_from(names: Vec<String>) -> PermissionSet {
    // A permission this build does not know grants nothing.
    names.iter().filter_map(|n| Permission::parse(n)).collect()
}

fn read_key(found: &Item) -> Result<KeyRecord, StoreError> {
    let r = Reader(found);
    let face = KeyFace::parse(&r.s("face")?).ok_or_else(|| StoreError::Corrupt("unknown key face".into()))?;
    let device = match (r.opt_s("platform")?, r.opt_s("device_id")?) {
        (Some(platform), Some(device_id)) => Some(MobileDevice {
            platform: Platform::parse(&platform).ok_or_else(|| StoreError::Corrupt("unknown platform".into()))?,
            device_id,
        }),
        _ => None,
    };
    Ok(KeyRecord {
        key_id: r.s("key_id")?,
        account_id: r.s("account_id")?,
        face,
        key_hash: r.s("key_hash")?,
        name: r.s("name")?,
        prefix: r.s("prefix")?,
        permissions: permissions_from(r.string_list("permissions")?),
        device,
        created_at: r.s("created_at")?,
        updated_at: r.s("updated_at")?,
        expires_at: r.opt_s("expires_at")?,
        last_used_at: r.opt_s("last_used_at")?,
        revoked_at: r.opt_s("revoked_at")?,
        replaced_by: r.opt_s("replaced_by")?,
        version: r.n("version")?,
    })
}

impl Store {
    fn key_items(&self, key: &KeyRecord) -> [TransactWriteItem; 2] {
        let permissions = string_list(key.permissions.names());
        let auth = item(vec![
            ("pk", s(hash_pk(&key.key_hash))),
            ("sk", s("KEY")),
            ("entity", s("key_hash")),
            ("key_id", s(&key.key_id)),
            ("account_id", s(&key.account_id)),
            ("permissions", permissions.clone()),
            ("expires_at", optional(&key.expires_at)),
        ]);
        let mut meta = item(vec![
            ("pk", s(account_pk(&key.account_id))),
            ("sk", s(meta_sk(&key.key_id))),
            ("entity", s("api_key")),
            ("key_id", s(&key.key_id)),
            ("account_id", s(&key.account_id)),
            ("face", s(key.face.as_str())),
            ("key_hash", s(&key.key_hash)),
            ("name", s(&key.name)),
            ("prefix", s(&key.prefix)),
            ("permissions", permissions),
            ("created_at", s(&key.created_at)),
            ("updated_at", s(&key.updated_at)),
            ("expires_at", optional(&key.expires_at)),
            ("version", n(key.version)),
        ]);
        if let Some(device) = &key.device {
            meta.insert("platform".into(), s(device.platform.as_str()));
            meta.insert("device_id".into(), s(&device.device_id));
        }
        let table = &self.tables().main;
        [put(table, auth, "attribute_not_exists(pk)"), put(table, meta, "attribute_not_exists(pk)")]
    }

    /// The two updates that revoke `key` at `now` (for a rotation, naming
    /// the key that replaces it); the first is conditioned on the key being
    /// unchanged and not yet revoked.
    fn revoke_items(&self, key: &KeyRecord, now: &str, replaced_by: Option<&str>) -> [TransactWriteItem; 2] {
        let table = &self.tables().main;
        let mut meta = Update::builder()
            .table_name(table)
            .key("pk", s(account_pk(&key.account_id)))
            .key("sk", s(meta_sk(&key.key_id)))
            .condition_expression("version = :expected AND attribute_not_exists(revoked_at)")
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":expected", n(key.version))
            .expression_attribute_values(":next", n(key.version + 1));
        meta = match replaced_by {
            Some(new_id) => meta
                .update_expression("SET revoked_at = :now, updated_at = :now, version = :next, replaced_by = :new")
                .expression_attribute_values(":new", s(new_id)),
            None => meta.update_expression("SET revoked_at = :now, updated_at = :now, version = :next"),
        };
        let meta = meta.build().expect("table, key, expression set");
        let auth = Update::builder()
            .table_name(table)
            .key("pk", s(hash_pk(&key.key_hash)))
            .key("sk", s("KEY"))
            .update_expression("SET revoked_at = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", s(now))
            .build()
            .expect("table, key, expression set");
        [TransactWriteItem::builder().update(meta).build(), TransactWriteItem::builder().update(auth).build()]
    }

    /// Creates an account with its first key, and both audit records.
    pub async fn insert_account(
        &self,
        account: &AccountRecord,
        key: &KeyRecord,
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
        items.extend(self.key_items(key));
        items.extend(events.map(|e| self.audit_put(e)));
        self.transact(items).await
    }

    /// Adds a key to an existing account; `NotFound` when there is no such
    /// account.
    pub async fn insert_key(&self, key: &KeyRecord, event: &AuditEvent) -> Result<(), StoreError> {
        let account_exists = ConditionCheck::builder()
            .table_name(&self.tables().main)
            .key("pk", s(account_pk(&key.account_id)))
            .key("sk", s("ACCOUNT"))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("table, key, condition set");
        let mut items = vec![TransactWriteItem::builder().condition_check(account_exists).build()];
        items.extend(self.key_items(key));
        items.push(self.audit_put(event));
        match self.transact(items).await {
            Err(StoreError::ConditionFailed { index: 0 }) => Err(StoreError::NotFound),
            other => other,
        }
    }

    /// The auth item of a key hash, if there is one.
    pub async fn auth_record(&self, hash: &KeyHash) -> Result<Option<AuthRecord>, StoreError> {
        let key = item(vec![("pk", s(hash_pk(hash.as_str()))), ("sk", s("KEY"))]);
        let Some(found) = self.get_main(key).await? else { return Ok(None) };
        let r = Reader(&found);
        let principal = match r.opt_s("kind")?.as_deref() {
            Some(SERVICE_KIND) => Principal::Service { key_id: r.s("key_id")? },
            _ => Principal::Tenant(Caller {
                account_id: r.s("account_id")?,
                key_id: r.s("key_id")?,
                permissions: permissions_from(r.string_list("permissions")?),
            }),
        };
        Ok(Some(AuthRecord {
            principal,
            expires_at: r.opt_s("expires_at")?,
            revoked_at: r.opt_s("revoked_at")?,
            last_used_at: r.opt_s("last_used_at")?,
        }))
    }

    /// Records a use of a key at `now` on its two items, unless one was
    /// recorded after `cutoff`: the conditions make concurrent requests
    /// write at most once. Two plain conditional updates at once (half the
    /// cost of a transaction, and no need for one: each item only moves
    /// forward in time). Returns whether the key's own item was written.
    pub async fn touch_key(
        &self,
        hash: &KeyHash,
        principal: &Principal,
        now: &str,
        cutoff: &str,
    ) -> Result<bool, StoreError> {
        let (meta_pk, meta_sk) = match principal {
            Principal::Tenant(caller) => (account_pk(&caller.account_id), meta_sk(&caller.key_id)),
            Principal::Service { key_id } => (SERVICE_KEYS_PK.to_string(), service_sk(key_id)),
        };
        let touch = |pk: String, sk: String| {
            self.ddb
                .update_item()
                .table_name(&self.tables().main)
                .key("pk", s(pk))
                .key("sk", s(sk))
                .update_expression("SET last_used_at = :now")
                .condition_expression(
                    "attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :cutoff)",
                )
                .expression_attribute_values(":now", s(now))
                .expression_attribute_values(":cutoff", s(cutoff))
                .send()
        };
        let (auth, meta) = tokio::join!(touch(hash_pk(hash.as_str()), "KEY".to_string()), touch(meta_pk, meta_sk));
        let written = |result: Result<_, aws_sdk_dynamodb::error::SdkError<UpdateItemError, _>>| match result {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(UpdateItemError::is_conditional_check_failed_exception) => {
                Ok(false)
            }
            Err(err) => Err(StoreError::aws(err)),
        };
        written(meta)?;
        written(auth)
    }

    /// One key of an account.
    pub async fn get_key(&self, account_id: &str, key_id: &str) -> Result<KeyRecord, StoreError> {
        let key = item(vec![("pk", s(account_pk(account_id))), ("sk", s(meta_sk(key_id)))]);
        self.get_main(key).await?.as_ref().map(read_key).unwrap_or(Err(StoreError::NotFound))
    }

    /// Every account, for the operator: a scan of the main table for account
    /// items (accounts have no index of their own; this is not an API path).
    pub async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        let items = self
            .ddb
            .scan()
            .table_name(&self.tables().main)
            .filter_expression("sk = :account")
            .expression_attribute_values(":account", s("ACCOUNT"))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(StoreError::aws)?;
        let mut accounts = items
            .iter()
            .map(|found| {
                let r = Reader(found);
                Ok(AccountRecord { account_id: r.s("account_id")?, name: r.s("name")?, created_at: r.s("created_at")? })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        Ok(accounts)
    }

    /// Every key of an account, revoked ones included, by id.
    pub async fn list_keys(&self, account_id: &str) -> Result<Vec<KeyRecord>, StoreError> {
        self.query_main(account_pk(account_id), "API_KEY#").await?.iter().map(read_key).collect()
    }

    /// Sets a key's name and permissions, on both items, if the key is still
    /// at `key.version` and not revoked, and `keep_alive` (when given) is
    /// still active and unchanged.
    pub async fn update_key(
        &self,
        key: &KeyRecord,
        updated: &KeyRecord,
        event: &AuditEvent,
        keep_alive: Option<&KeyRecord>,
    ) -> Result<(), StoreError> {
        let table = &self.tables().main;
        let permissions = string_list(updated.permissions.names());
        let meta = Update::builder()
            .table_name(table)
            .key("pk", s(account_pk(&key.account_id)))
            .key("sk", s(meta_sk(&key.key_id)))
            .update_expression("SET #name = :name, #permissions = :permissions, updated_at = :now, version = :next")
            .condition_expression("version = :expected AND attribute_not_exists(revoked_at)")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#permissions", "permissions")
            .expression_attribute_values(":name", s(&updated.name))
            .expression_attribute_values(":permissions", permissions.clone())
            .expression_attribute_values(":now", s(&updated.updated_at))
            .expression_attribute_values(":expected", n(key.version))
            .expression_attribute_values(":next", n(key.version + 1))
            .build()
            .expect("table, key, expression set");
        let auth = Update::builder()
            .table_name(table)
            .key("pk", s(hash_pk(&key.key_hash)))
            .key("sk", s("KEY"))
            .update_expression("SET #permissions = :permissions")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#permissions", "permissions")
            .expression_attribute_values(":permissions", permissions)
            .build()
            .expect("table, key, expression set");
        let mut items = vec![
            TransactWriteItem::builder().update(meta).build(),
            TransactWriteItem::builder().update(auth).build(),
            self.audit_put(event),
        ];
        items.extend(keep_alive.map(|k| self.still_active(k)));
        self.transact(items).await
    }

    /// Revokes a key on both items; `ConditionFailed` when it changed or was
    /// revoked meanwhile, or when `keep_alive` is no longer active.
    pub async fn revoke_key(
        &self,
        key: &KeyRecord,
        now: &str,
        event: &AuditEvent,
        keep_alive: Option<&KeyRecord>,
    ) -> Result<(), StoreError> {
        let mut items = self.revoke_items(key, now, None).to_vec();
        items.push(self.audit_put(event));
        items.extend(keep_alive.map(|k| self.still_active(k)));
        self.transact(items).await
    }

    /// A transaction's check that `key` is still as read and not revoked.
    fn still_active(&self, key: &KeyRecord) -> TransactWriteItem {
        let check = ConditionCheck::builder()
            .table_name(&self.tables().main)
            .key("pk", s(account_pk(&key.account_id)))
            .key("sk", s(meta_sk(&key.key_id)))
            .condition_expression("version = :version AND attribute_not_exists(revoked_at)")
            .expression_attribute_values(":version", n(key.version))
            .build()
            .expect("table, key, condition set");
        TransactWriteItem::builder().condition_check(check).build()
    }

    /// Revokes `old` and creates `new` in one transaction: of two concurrent
    /// rotations of one key, exactly one succeeds.
    pub async fn rotate_key(
        &self,
        old: &KeyRecord,
        new: &KeyRecord,
        now: &str,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut items = self.revoke_items(old, now, Some(&new.key_id)).to_vec();
        items.extend(self.key_items(new));
        items.push(self.audit_put(event));
        self.transact(items).await
    }

    /// Stores a new platform service key (auth item and metadata).
    pub async fn insert_service_key(&self, key: &ServiceKeyRecord, event: &AuditEvent) -> Result<(), StoreError> {
        let table = &self.tables().main;
        let auth = item(vec![
            ("pk", s(hash_pk(&key.key_hash))),
            ("sk", s("KEY")),
            ("entity", s("key_hash")),
            ("kind", s(SERVICE_KIND)),
            ("key_id", s(&key.key_id)),
            ("permissions", string_list([Permission::Internal.as_str()])),
        ]);
        let meta = item(vec![
            ("pk", s(SERVICE_KEYS_PK)),
            ("sk", s(service_sk(&key.key_id))),
            ("entity", s("service_key")),
            ("key_id", s(&key.key_id)),
            ("key_hash", s(&key.key_hash)),
            ("name", s(&key.name)),
            ("created_at", s(&key.created_at)),
        ]);
        let items = vec![
            put(table, auth, "attribute_not_exists(pk)"),
            put(table, meta, "attribute_not_exists(pk)"),
            self.audit_put(event),
        ];
        self.transact(items).await
    }

    /// Every platform service key, revoked ones included, by id.
    pub async fn list_service_keys(&self) -> Result<Vec<ServiceKeyRecord>, StoreError> {
        let items = self.query_main(SERVICE_KEYS_PK.to_string(), "SERVICE_KEY#").await?;
        items
            .iter()
            .map(|found| {
                let r = Reader(found);
                Ok(ServiceKeyRecord {
                    key_id: r.s("key_id")?,
                    key_hash: r.s("key_hash")?,
                    name: r.s("name")?,
                    created_at: r.s("created_at")?,
                    last_used_at: r.opt_s("last_used_at")?,
                    revoked_at: r.opt_s("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes a platform service key on both items; `NotFound` when there
    /// is no such key, `ConditionFailed` when it is revoked already.
    pub async fn revoke_service_key(&self, key_id: &str, now: &str, event: &AuditEvent) -> Result<(), StoreError> {
        let table = &self.tables().main;
        let meta_key = item(vec![("pk", s(SERVICE_KEYS_PK)), ("sk", s(service_sk(key_id)))]);
        let found = self.get_main(meta_key.clone()).await?.ok_or(StoreError::NotFound)?;
        let hash = Reader(&found).s("key_hash")?;
        let meta = Update::builder()
            .table_name(table)
            .set_key(Some(meta_key))
            .update_expression("SET revoked_at = :now")
            .condition_expression("attribute_not_exists(revoked_at)")
            .expression_attribute_values(":now", s(now))
            .build()
            .expect("table, key, expression set");
        let auth = Update::builder()
            .table_name(table)
            .key("pk", s(hash_pk(&hash)))
            .key("sk", s("KEY"))
            .update_expression("SET revoked_at = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", s(now))
            .build()
            .expect("table, key, expression set");
        let items = vec![
            TransactWriteItem::builder().update(meta).build(),
            TransactWriteItem::builder().update(auth).build(),
            self.audit_put(event),
        ];
        self.transact(items).await
    }
}
