//! Accounts and keys. A key lives in two items, always written together:
//!
//! - the auth item `KEY#<sha256>`: everything a request check needs, found by
//!   one strongly consistent `GetItem`;
//! - the account's `API_KEY#<id>` item: the metadata that lists show.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};

use super::attrs::{n, s, string_list, Item, Reader};
use super::{Store, StoreError};
use crate::audit::AuditEvent;
use crate::auth::{Caller, KeyHash};
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
    pub caller: Caller,
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
        Ok(Some(AuthRecord {
            caller: Caller {
                account_id: r.s("account_id")?,
                key_id: r.s("key_id")?,
                permissions: permissions_from(r.string_list("permissions")?),
            },
            expires_at: r.opt_s("expires_at")?,
            revoked_at: r.opt_s("revoked_at")?,
            last_used_at: r.opt_s("last_used_at")?,
        }))
    }

    /// Records a use of a key at `now`, unless one was recorded after
    /// `cutoff`: the condition makes concurrent requests write at most once.
    /// Returns whether this call wrote.
    pub async fn touch_key(
        &self,
        hash: &KeyHash,
        caller: &Caller,
        now: &str,
        cutoff: &str,
    ) -> Result<bool, StoreError> {
        let table = &self.tables().main;
        let auth = Update::builder()
            .table_name(table)
            .key("pk", s(hash_pk(hash.as_str())))
            .key("sk", s("KEY"))
            .update_expression("SET last_used_at = :now")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :cutoff)",
            )
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":cutoff", s(cutoff))
            .build()
            .expect("table, key, expression set");
        let meta = Update::builder()
            .table_name(table)
            .key("pk", s(account_pk(&caller.account_id)))
            .key("sk", s(meta_sk(&caller.key_id)))
            .update_expression("SET last_used_at = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", s(now))
            .build()
            .expect("table, key, expression set");
        let items =
            vec![TransactWriteItem::builder().update(auth).build(), TransactWriteItem::builder().update(meta).build()];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// One key of an account.
    pub async fn get_key(&self, account_id: &str, key_id: &str) -> Result<KeyRecord, StoreError> {
        let key = item(vec![("pk", s(account_pk(account_id))), ("sk", s(meta_sk(key_id)))]);
        self.get_main(key).await?.as_ref().map(read_key).unwrap_or(Err(StoreError::NotFound))
    }

    /// Every key of an account, revoked ones included, by id.
    pub async fn list_keys(&self, account_id: &str) -> Result<Vec<KeyRecord>, StoreError> {
        self.query_main(account_pk(account_id), "API_KEY#").await?.iter().map(read_key).collect()
    }

    /// Sets a key's name and permissions, on both items, if the key is still
    /// at `key.version` and not revoked.
    pub async fn update_key(&self, key: &KeyRecord, updated: &KeyRecord, event: &AuditEvent) -> Result<(), StoreError> {
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
        let items = vec![
            TransactWriteItem::builder().update(meta).build(),
            TransactWriteItem::builder().update(auth).build(),
            self.audit_put(event),
        ];
        self.transact(items).await
    }

    /// Revokes a key on both items; `ConditionFailed` when it changed or was
    /// revoked meanwhile.
    pub async fn revoke_key(&self, key: &KeyRecord, now: &str, event: &AuditEvent) -> Result<(), StoreError> {
        let mut items = self.revoke_items(key, now, None).to_vec();
        items.push(self.audit_put(event));
        self.transact(items).await
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

    /// Adds one to a counter item that expires by itself at `expires_epoch`
    /// (DynamoDB TTL; readers compare times too, since TTL deletion is
    /// late). Returns the new count.
    pub async fn increment_counter(&self, counter: &str, expires_epoch: i64) -> Result<u64, StoreError> {
        let out = self
            .client()
            .update_item()
            .table_name(&self.tables().main)
            .key("pk", s(format!("COUNTER#{counter}")))
            .key("sk", s("COUNTER"))
            .update_expression("ADD #count :one SET #ttl = :ttl")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", super::schema::TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", n(expires_epoch))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(StoreError::aws)?;
        Reader(&out.attributes.unwrap_or_default()).n("count")
    }

    /// The current value of a counter (0 when there is none).
    pub async fn read_counter(&self, counter: &str) -> Result<u64, StoreError> {
        let key = item(vec![("pk", s(format!("COUNTER#{counter}"))), ("sk", s("COUNTER"))]);
        match self.get_main(key).await? {
            Some(found) => Reader(&found).n("count"),
            None => Ok(0),
        }
    }
}
