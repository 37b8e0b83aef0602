//! Accounts, keys and platform service keys. A key lives in two items,
//! always written together:
//!
//! - the auth item `KEY#<sha256>`: everything a request check needs, found by
//!   one strongly consistent `GetItem`, and the only item that records a
//!   use (`last_used_at`: one conditional update). While the key is active
//!   it also carries `active_pk`/`active_sk`, which put it in the sparse
//!   [`ACTIVE_KEYS_INDEX`]: lists page through an account's active keys of
//!   one face there, reading only the page, however many keys were ever
//!   made (revoking a key removes it from the index);
//! - the account's `API_KEY#<id>` item: the key by id, for the changes a
//!   caller makes by id (its version guards them).

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, KeysAndAttributes, Put, TransactWriteItem, Update};

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

/// The sparse index of active keys: partition per account and face, sorted
/// by key id (a ULID, so oldest first).
pub const ACTIVE_KEYS_INDEX: &str = "active_keys";

fn active_pk(account_id: &str, face: KeyFace) -> String {
    format!("ACCOUNT#{account_id}#{}", face.as_str())
}

/// Platform service keys: their metadata under one partition of their own,
/// which no account's list reads; their auth items say `kind = service`.
const SERVICE_KEYS_PK: &str = "SERVICE_KEYS";
const SERVICE_KIND: &str = "service";

fn service_sk(key_id: &str) -> String {
    format!("SERVICE_KEY#{key_id}")
}

/// Which active keys a page keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFilter {
    All,
    HoldsAdmin,
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
        let mut auth = item(vec![
            ("pk", s(hash_pk(&key.key_hash))),
            ("sk", s("KEY")),
            ("entity", s("key_hash")),
            ("key_id", s(&key.key_id)),
            ("account_id", s(&key.account_id)),
            ("face", s(key.face.as_str())),
            ("key_hash", s(&key.key_hash)),
            ("name", s(&key.name)),
            ("prefix", s(&key.prefix)),
            ("permissions", permissions.clone()),
            ("created_at", s(&key.created_at)),
            ("updated_at", s(&key.updated_at)),
            ("expires_at", optional(&key.expires_at)),
            ("version", n(key.version)),
            ("active_pk", s(active_pk(&key.account_id, key.face))),
            ("active_sk", s(&key.key_id)),
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
            for listing in [&mut auth, &mut meta] {
                listing.insert("platform".into(), s(device.platform.as_str()));
                listing.insert("device_id".into(), s(&device.device_id));
            }
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
            // Out of the active-keys index with it.
            .update_expression("SET revoked_at = :now REMOVE active_pk, active_sk")
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

    /// Records a use of a key at `now` on its auth item, unless one was
    /// recorded after `cutoff`: the condition makes concurrent requests
    /// write at most once. One plain conditional update: lists read the
    /// same item (through the active-keys index). Returns whether it wrote.
    pub async fn touch_key(&self, hash: &KeyHash, now: &str, cutoff: &str) -> Result<bool, StoreError> {
        let touched = self
            .ddb
            .update_item()
            .table_name(&self.tables().main)
            .key("pk", s(hash_pk(hash.as_str())))
            .key("sk", s("KEY"))
            .update_expression("SET last_used_at = :now")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :cutoff)",
            )
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":cutoff", s(cutoff))
            .send()
            .await;
        match touched {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(UpdateItemError::is_conditional_check_failed_exception) => {
                Ok(false)
            }
            Err(err) => Err(StoreError::aws(err)),
        }
    }

    /// When each of `hashes`' keys was last used (the auth items say), for
    /// the operator's listings; at most 100 keys at a time.
    async fn last_used(&self, hashes: &[&str]) -> Result<HashMap<String, String>, StoreError> {
        let mut found = HashMap::new();
        for chunk in hashes.chunks(100) {
            let mut keys = KeysAndAttributes::builder().consistent_read(true).projection_expression("pk, last_used_at");
            for hash in chunk {
                keys = keys.keys(item(vec![("pk", s(hash_pk(hash))), ("sk", s("KEY"))]));
            }
            let mut request = HashMap::from([(self.tables().main.clone(), keys.build().expect("keys set"))]);
            while !request.is_empty() {
                let out =
                    self.ddb.batch_get_item().set_request_items(Some(request)).send().await.map_err(StoreError::aws)?;
                for item in out.responses().into_iter().flat_map(|r| r.values()).flatten() {
                    let r = Reader(item);
                    if let (Some(hash), Some(at)) = (r.s("pk")?.strip_prefix("KEY#"), r.opt_s("last_used_at")?) {
                        found.insert(hash.to_string(), at);
                    }
                }
                request = out.unprocessed_keys.unwrap_or_default();
            }
        }
        Ok(found)
    }

    /// One key of an account.
    pub async fn get_key(&self, account_id: &str, key_id: &str) -> Result<KeyRecord, StoreError> {
        let key = item(vec![("pk", s(account_pk(account_id))), ("sk", s(meta_sk(key_id)))]);
        self.get_main(key).await?.as_ref().map(read_key).unwrap_or(Err(StoreError::NotFound))
    }

    /// Every account, for the operator: a scan of the main table for account
    /// items (accounts have no index of their own; this is not an API path).
    pub async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        let items = self.scan_main("sk", "ACCOUNT").await?;
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

    /// Every key of an account, revoked ones included, by id: the
    /// operator's listing (it reads them all).
    pub async fn list_keys(&self, account_id: &str) -> Result<Vec<KeyRecord>, StoreError> {
        let mut keys: Vec<KeyRecord> = self
            .query_main(account_pk(account_id), "API_KEY#")
            .await?
            .iter()
            .map(read_key)
            .collect::<Result<_, _>>()?;
        let mut used = self.last_used(&keys.iter().map(|k| k.key_hash.as_str()).collect::<Vec<_>>()).await?;
        for key in &mut keys {
            key.last_used_at = used.remove(&key.key_hash);
        }
        Ok(keys)
    }

    /// Up to `want` active keys of one face of an account, by id, after the
    /// key id `after`; `keep` filters them further (in DynamoDB). Reads the
    /// page, not the account: expired keys are the only ones read and
    /// skipped.
    pub async fn page_active_keys(
        &self,
        account_id: &str,
        face: KeyFace,
        want: usize,
        after: Option<&str>,
        keep: KeyFilter,
    ) -> Result<Vec<KeyRecord>, StoreError> {
        let mut found = Vec::new();
        let mut after = after.map(str::to_string);
        let now = crate::domain::ids::now_rfc3339();
        loop {
            let mut query = self
                .ddb
                .query()
                .table_name(&self.tables().main)
                .index_name(ACTIVE_KEYS_INDEX)
                .expression_attribute_values(":pk", s(active_pk(account_id, face)))
                .expression_attribute_values(":now", s(&now))
                .limit(i32::try_from(want - found.len()).unwrap_or(i32::MAX));
            let mut filter = "(attribute_type(expires_at, :null) OR expires_at > :now)".to_string();
            query = query.expression_attribute_values(":null", s("NULL"));
            if let KeyFilter::HoldsAdmin = keep {
                filter.push_str(" AND contains(#permissions, :admin)");
                query = query
                    .expression_attribute_names("#permissions", "permissions")
                    .expression_attribute_values(":admin", s(Permission::Admin.as_str()));
            }
            query = match &after {
                Some(id) => query
                    .key_condition_expression("active_pk = :pk AND active_sk > :after")
                    .expression_attribute_values(":after", s(id)),
                None => query.key_condition_expression("active_pk = :pk"),
            };
            let out = query.filter_expression(filter).send().await.map_err(StoreError::aws)?;
            for item in out.items() {
                found.push(read_key(item)?);
            }
            match out.last_evaluated_key() {
                Some(last) if found.len() < want => after = Some(Reader(last).s("active_sk")?),
                _ => break,
            }
        }
        Ok(found)
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
            .update_expression("SET #name = :name, #permissions = :permissions, updated_at = :now, version = :next")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#permissions", "permissions")
            .expression_attribute_values(":name", s(&updated.name))
            .expression_attribute_values(":permissions", permissions)
            .expression_attribute_values(":now", s(&updated.updated_at))
            .expression_attribute_values(":next", n(key.version + 1))
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
        // The metadata item: the index `key` may have been read from lags.
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

    /// Keys made before the active-keys index: copies what lists show from
    /// each key's metadata onto its auth item, and puts the active ones in
    /// the index. Safe to run again (and while the service runs: a key
    /// changed meanwhile keeps its newer copy). Returns how many it wrote.
    pub async fn backfill_key_listings(&self) -> Result<usize, StoreError> {
        let metas = self.scan_main("entity", "api_key").await?;
        let now = crate::domain::ids::now_rfc3339();
        let mut written = 0;
        for key in metas.iter().map(read_key) {
            let key = key?;
            let mut update = self
                .ddb
                .update_item()
                .table_name(&self.tables().main)
                .key("pk", s(hash_pk(&key.key_hash)))
                .key("sk", s("KEY"))
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":face", s(key.face.as_str()))
                .expression_attribute_values(":hash", s(&key.key_hash))
                .expression_attribute_values(":name", s(&key.name))
                .expression_attribute_values(":prefix", s(&key.prefix))
                .expression_attribute_values(":created", s(&key.created_at))
                .expression_attribute_values(":updated", s(&key.updated_at))
                .expression_attribute_values(":version", n(key.version));
            let mut set = "face = :face, key_hash = :hash, #name = :name, prefix = :prefix, \
                           created_at = :created, updated_at = :updated, version = :version"
                .to_string();
            if let Some(device) = &key.device {
                set.push_str(", platform = :platform, device_id = :device");
                update = update
                    .expression_attribute_values(":platform", s(device.platform.as_str()))
                    .expression_attribute_values(":device", s(&device.device_id));
            }
            // Only where no listing was written (`face` is the one field a
            // rename or a permission change does not write on this item).
            let mut condition = "attribute_exists(pk) AND attribute_not_exists(face)".to_string();
            if key.is_active(&now) {
                // A key revoked since the scan stays out of the index.
                condition.push_str(" AND attribute_not_exists(revoked_at)");
                set.push_str(", active_pk = :active_pk, active_sk = :active_sk");
                update = update
                    .expression_attribute_values(":active_pk", s(active_pk(&key.account_id, key.face)))
                    .expression_attribute_values(":active_sk", s(&key.key_id));
            }
            match update.update_expression(format!("SET {set}")).condition_expression(condition).send().await {
                Ok(_) => written += 1,
                Err(err)
                    if err.as_service_error().is_some_and(UpdateItemError::is_conditional_check_failed_exception) => {}
                Err(err) => return Err(StoreError::aws(err)),
            }
        }
        Ok(written)
    }

    /// Every platform service key, revoked ones included, by id.
    pub async fn list_service_keys(&self) -> Result<Vec<ServiceKeyRecord>, StoreError> {
        let items = self.query_main(SERVICE_KEYS_PK.to_string(), "SERVICE_KEY#").await?;
        let mut keys = items
            .iter()
            .map(|found| {
                let r = Reader(found);
                Ok(ServiceKeyRecord {
                    key_id: r.s("key_id")?,
                    key_hash: r.s("key_hash")?,
                    name: r.s("name")?,
                    created_at: r.s("created_at")?,
                    last_used_at: None,
                    revoked_at: r.opt_s("revoked_at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut used = self.last_used(&keys.iter().map(|k| k.key_hash.as_str()).collect::<Vec<_>>()).await?;
        for key in &mut keys {
            key.last_used_at = used.remove(&key.key_hash);
        }
        Ok(keys)
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
