//! The keys of accounts (both faces): created with their account or on
//! their own, checked, listed, changed, revoked and rotated.

use crate::domain::timestamp::Timestamp;
use std::collections::HashMap;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ConditionCheck, KeysAndAttributes, TransactWriteItem};

use super::super::attrs::{n, s, string_list, t, Item, Reader};
use super::super::{Store, StoreError};
use super::*;
use crate::audit::AuditEvent;
use crate::auth::{Caller, KeyHash, Principal};
use crate::domain::key::{KeyFace, KeyUse};
use crate::domain::permission::Permission;

impl Store {
    pub(super) fn key_items(&self, key: &KeyRecord) -> [TransactWriteItem; 2] {
        let mut auth = item(vec![("pk", s(hash_pk(&key.key_hash))), ("sk", s("KEY")), ("entity", s("key_hash"))]);
        auth.extend(listing(key).into_iter().map(|(k, v)| (k.to_string(), v)));
        auth.insert("active_pk".into(), s(active_pk(&key.account_id, key.face)));
        auth.insert("active_sk".into(), s(&key.key_id));
        let mut meta = item(vec![
            ("pk", s(account_pk(&key.account_id))),
            ("sk", s(meta_sk(&key.key_id))),
            ("entity", s("api_key")),
        ]);
        meta.extend(listing(key).into_iter().map(|(k, v)| (k.to_string(), v)));
        if let Some(at) = key.expires_at {
            meta.extend(super::expiry::expiry_attributes(&key.key_id, at).map(|(k, v)| (k.to_string(), v)));
        }
        let table = &self.tables().main;
        [put(table, auth, "attribute_not_exists(pk)"), put(table, meta, "attribute_not_exists(pk)")]
    }

    /// The two updates that revoke `key` at `now` (for a rotation, naming
    /// the key that replaces it); the auth item leaves the active-keys index.
    fn revoke_items(&self, key: &KeyRecord, now: Timestamp, replaced_by: Option<&KeyId>) -> [TransactWriteItem; 2] {
        let mut change = KeyChange {
            meta_expression: "SET revoked_at = :now, updated_at = :now, version = :next".into(),
            auth_expression: "SET revoked_at = :now REMOVE active_pk, active_sk".into(),
            names: Vec::new(),
            values: vec![(":now", t(now)), (":next", n(key.version + 1))],
        };
        if let Some(new_id) = replaced_by {
            change.meta_expression.push_str(", replaced_by = :new");
            change.values.push((":new", s(new_id)));
        }
        change.items(&self.tables().main, key)
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
        let Some(found) = self.get_main(auth_key(hash.as_str())).await? else { return Ok(None) };
        let r = Reader(&found);
        let principal = match r.opt_s("kind")?.as_deref() {
            Some(super::service::SERVICE_KIND) => {
                Principal::Service { key_id: r.id("key_id", crate::domain::ids::ServiceKeyId::parse)? }
            }
            _ => Principal::Tenant(Caller {
                account_id: r.id("account_id", AccountId::parse)?,
                key_id: r.id("key_id", KeyId::parse)?,
                permissions: permissions_from(r.string_list("permissions")?),
            }),
        };
        Ok(Some(AuthRecord {
            principal,
            expires_at: r.opt_time("expires_at")?,
            revoked_at: r.opt_time("revoked_at")?,
            last_used_at: r.opt_time("last_used_at")?,
            allowed_cidrs: read_allowed_cidrs(&r)?,
        }))
    }

    /// Records a use of a key (when, from where, for what) on its auth
    /// item, unless one was recorded after `cutoff`: the condition makes
    /// concurrent requests write at most once. One plain conditional
    /// update: lists read the same item (through the active-keys index).
    /// Returns whether it wrote.
    pub async fn touch_key(&self, hash: &KeyHash, used: &KeyUse, cutoff: Timestamp) -> Result<bool, StoreError> {
        let mut set = vec!["last_used_at = :now"];
        let mut update = self
            .ddb
            .update_item()
            .table_name(&self.tables().main)
            .key("pk", s(hash_pk(hash.as_str())))
            .key("sk", s("KEY"))
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :cutoff)",
            )
            .expression_attribute_values(":now", t(used.at))
            .expression_attribute_values(":cutoff", t(cutoff));
        if let Some(from) = used.from {
            set.push("last_used_from = :from");
            update = update.expression_attribute_values(":from", s(from.to_string()));
        }
        if let Some(used_for) = &used.used_for {
            set.push("last_used_for = :for");
            update = update.expression_attribute_values(":for", s(used_for));
        }
        // A use that does not say where from or what for leaves no older
        // answer to those beside its own time.
        let mut expression = format!("SET {}", set.join(", "));
        let removed: Vec<&str> = [("last_used_from", used.from.is_none()), ("last_used_for", used.used_for.is_none())]
            .into_iter()
            .filter_map(|(name, unknown)| unknown.then_some(name))
            .collect();
        if !removed.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removed.join(", ")));
        }
        let touched = update.update_expression(expression).send().await;
        match touched {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(UpdateItemError::is_conditional_check_failed_exception) => {
                Ok(false)
            }
            Err(err) => Err(StoreError::aws(err)),
        }
    }

    /// The last use of each of `hashes`' keys (the auth items say), for
    /// the operator's listings.
    pub(super) async fn last_used(&self, hashes: &[&str]) -> Result<HashMap<String, KeyUse>, StoreError> {
        let mut found = HashMap::new();
        for chunk in hashes.chunks(AUTH_BATCH) {
            let projection = Some("pk, last_used_at, last_used_from, last_used_for");
            for item in self.auth_items(chunk, projection).await? {
                let r = Reader(&item);
                if let (Some(hash), Some(used)) = (r.s("pk")?.strip_prefix("KEY#"), read_last_use(&r)?) {
                    found.insert(hash.to_string(), used);
                }
            }
        }
        Ok(found)
    }

    /// The auth items of up to [`AUTH_BATCH`] hashes, strongly consistent,
    /// in one `BatchGetItem` (keys it left unprocessed asked again);
    /// `projection` names the attributes wanted, all when `None`.
    pub(super) async fn auth_items(
        &self,
        hashes: &[impl AsRef<str>],
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut keys = KeysAndAttributes::builder()
            .consistent_read(true)
            .set_projection_expression(projection.map(str::to_string));
        for hash in hashes {
            keys = keys.keys(auth_key(hash.as_ref()));
        }
        let mut request = HashMap::from([(self.tables().main.clone(), keys.build().expect("keys set"))]);
        let mut items = Vec::new();
        while !request.is_empty() {
            let out = self
                .client()
                .batch_get_item()
                .set_request_items(Some(request))
                .send()
                .await
                .map_err(StoreError::aws)?;
            items.extend(out.responses().into_iter().flat_map(|r| r.values()).flatten().cloned());
            request = out.unprocessed_keys.unwrap_or_default();
        }
        Ok(items)
    }

    /// One key of an account.
    pub async fn get_key(&self, account_id: &AccountId, key_id: &KeyId) -> Result<KeyRecord, StoreError> {
        self.get_main(meta_key(account_id, key_id)).await?.as_ref().map(read_key).unwrap_or(Err(StoreError::NotFound))
    }

    /// Every key of an account, revoked ones included, by id: the
    /// operator's listing (it reads them all).
    pub async fn list_keys(&self, account_id: &AccountId) -> Result<Vec<KeyRecord>, StoreError> {
        let mut keys: Vec<KeyRecord> = self
            .query_main(account_pk(account_id), "API_KEY#")
            .await?
            .iter()
            .map(read_key)
            .collect::<Result<_, _>>()?;
        let mut used = self.last_used(&keys.iter().map(|k| k.key_hash.as_str()).collect::<Vec<_>>()).await?;
        for key in &mut keys {
            key.last_use = used.remove(&key.key_hash);
        }
        Ok(keys)
    }

    /// Up to `want` active keys of one face of an account, by id, after the
    /// key id `after`; `keep` filters them further (in DynamoDB). Reads the
    /// page, not the account: expired keys are the only ones read and
    /// skipped.
    pub async fn page_active_keys(
        &self,
        account_id: &AccountId,
        face: KeyFace,
        want: usize,
        after: Option<&KeyId>,
        keep: KeyFilter,
    ) -> Result<Vec<KeyRecord>, StoreError> {
        let mut found = Vec::new();
        let mut after = after.map(|id| id.to_string());
        let now = Timestamp::now();
        loop {
            let mut query = self
                .ddb
                .query()
                .table_name(&self.tables().main)
                .index_name(ACTIVE_KEYS_INDEX)
                .expression_attribute_values(":pk", s(active_pk(account_id, face)))
                .expression_attribute_values(":now", t(now))
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

    /// Sets a key's name, permissions and allow-list, on both items, if the
    /// key is still at `key.version` and not revoked, and `keep_alive` (when
    /// given) is still active and unchanged.
    pub async fn update_key(
        &self,
        key: &KeyRecord,
        updated: &KeyRecord,
        event: &AuditEvent,
        keep_alive: Option<&KeyRecord>,
    ) -> Result<(), StoreError> {
        let mut set = "SET #name = :name, #permissions = :permissions, updated_at = :now, version = :next".to_string();
        let mut values = vec![
            (":name", s(&updated.name)),
            (":permissions", string_list(updated.permissions.names())),
            (":now", t(updated.updated_at)),
            (":next", n(key.version + 1)),
        ];
        if updated.allowed_cidrs.is_empty() {
            set.push_str(" REMOVE allowed_cidrs");
        } else {
            set.push_str(", allowed_cidrs = :cidrs");
            values.push((":cidrs", string_list(updated.allowed_cidrs.names())));
        }
        let change = KeyChange {
            meta_expression: set.clone(),
            auth_expression: set,
            names: vec![("#name", "name"), ("#permissions", "permissions")],
            values,
        };
        let [meta, auth] = change.items(&self.tables().main, key);
        let mut items = vec![meta, auth, self.audit_put(event)];
        items.extend(keep_alive.map(|k| self.still_active(k)));
        self.transact(items).await
    }

    /// Revokes a key on both items; `ConditionFailed` when it changed or was
    /// revoked meanwhile, or when `keep_alive` is no longer active.
    pub async fn revoke_key(
        &self,
        key: &KeyRecord,
        now: Timestamp,
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

    /// Creates `new` and, in the same transaction, revokes `old` — or, with
    /// `old_until`, lets it work until then (its expiry on both items, so
    /// the key check refuses it by time) and names its replacement. Of two
    /// concurrent rotations of one key, exactly one succeeds.
    pub async fn rotate_key(
        &self,
        old: &KeyRecord,
        new: &KeyRecord,
        now: Timestamp,
        old_until: Option<Timestamp>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let old_items = match old_until {
            None => self.revoke_items(old, now, Some(&new.key_id)),
            Some(until) => {
                let set = "SET expires_at = :until, replaced_by = :new, updated_at = :now, version = :next";
                let [(_, expiry_pk), (_, expiry_sk)] = super::expiry::expiry_attributes(&old.key_id, until);
                let change = KeyChange {
                    // Its end is in the expiry index (for the reminder).
                    meta_expression: format!("{set}, expiry_pk = :expiry_pk, expiry_sk = :expiry_sk"),
                    auth_expression: set.into(),
                    names: Vec::new(),
                    values: vec![
                        (":expiry_pk", expiry_pk),
                        (":expiry_sk", expiry_sk),
                        (":until", t(until)),
                        (":new", s(&new.key_id)),
                        (":now", t(now)),
                        (":next", n(old.version + 1)),
                    ],
                };
                change.items(&self.tables().main, old)
            }
        };
        let mut items = old_items.to_vec();
        items.extend(self.key_items(new));
        items.push(self.audit_put(event));
        self.transact(items).await
    }
}
