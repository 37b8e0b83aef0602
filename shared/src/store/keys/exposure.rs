//! Keys reported as exposed: looked up by hash in batches, revoked whatever
//! they hold (the last-admin guard does not apply: a key on a public page is
//! compromised), each with its audit record in the same transaction.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use futures_util::future::try_join_all;

use super::super::attrs::{n, s, t, Reader};
use super::super::{Store, StoreError};
use super::service::{service_meta_key, SERVICE_KIND};
use super::*;
use crate::audit::AuditEvent;
use crate::domain::ids::ServiceKeyId;

/// Why a key was revoked, when it was for being exposed.
pub const EXPOSED: &str = "exposed";

/// A reported key that is ours, as its auth item says.
#[derive(Clone, Debug)]
pub struct ExposedKey {
    pub hash: String,
    pub owner: ExposedOwner,
    /// Usable now: neither revoked nor expired. Only such a key is revoked
    /// (and recorded); the others are ours all the same.
    pub active: bool,
}

#[derive(Clone, Debug)]
pub enum ExposedOwner {
    /// `listed` is `None` for an auth item written before auth items carried
    /// the listing (`mailkeys-admin migrate-keys` not run):
    /// [`Store::revocable`] reads it from the key's own item.
    Tenant {
        account_id: AccountId,
        key_id: KeyId,
        listed: Option<Listed>,
    },
    Service {
        key_id: ServiceKeyId,
    },
}

/// What a tenant key's revocation needs beside its ids.
#[derive(Clone, Debug)]
pub struct Listed {
    pub prefix: String,
    pub face: KeyFace,
    pub version: u64,
}

/// An exposed key with all its revocation needs.
#[derive(Clone, Debug)]
pub struct Revocable {
    pub hash: String,
    pub owner: RevocableOwner,
}

#[derive(Clone, Debug)]
pub enum RevocableOwner {
    Tenant { account_id: AccountId, key_id: KeyId, listed: Listed },
    Service { key_id: ServiceKeyId },
}

/// What the revocation of an exposed key records beside `revoked_at`.
pub struct ExposureNote<'a> {
    pub url: Option<&'a str>,
}

impl Store {
    /// The keys among `hashes` that are ours, by hash: `BatchGetItem`s of
    /// 100, sent at once, strongly consistent.
    pub async fn exposed_keys(&self, hashes: &[String]) -> Result<HashMap<String, ExposedKey>, StoreError> {
        let now = Timestamp::now();
        let batches = hashes.chunks(AUTH_BATCH).map(|chunk| self.auth_items(chunk, None));
        let mut found = HashMap::new();
        for items in try_join_all(batches).await? {
            for item in &items {
                let key = read_exposed(item, now)?;
                found.insert(key.hash.clone(), key);
            }
        }
        Ok(found)
    }

    /// Revokes an exposed tenant key on both items, with `event`, if it is
    /// still at `version` and not revoked (`ConditionFailed` otherwise:
    /// read it again).
    pub async fn revoke_exposed_key(
        &self,
        key: &Revocable,
        now: Timestamp,
        note: &ExposureNote<'_>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let table = &self.tables().main;
        let items = match &key.owner {
            RevocableOwner::Tenant { account_id, key_id, listed } => {
                let version = listed.version;
                let mut meta =
                    "SET revoked_at = :now, updated_at = :now, version = :next, revoked_reason = :why".to_string();
                let mut change_values = vec![(":now", t(now)), (":next", n(version + 1)), (":why", s(EXPOSED))];
                if let Some(url) = note.url {
                    meta.push_str(", exposed_url = :url");
                    change_values.push((":url", s(url)));
                }
                let change = KeyChange {
                    meta_expression: meta,
                    auth_expression: "SET revoked_at = :now, revoked_reason = :why REMOVE active_pk, active_sk".into(),
                    names: Vec::new(),
                    values: change_values,
                };
                // `KeyChange` checks the version of the record it is given.
                let record = ChangedKey { account_id, key_id, hash: &key.hash, version };
                change.items_for(table, record).to_vec()
            }
            RevocableOwner::Service { key_id } => {
                let mut meta = Update::builder()
                    .table_name(table)
                    .set_key(Some(service_meta_key(key_id)))
                    .condition_expression("attribute_not_exists(revoked_at)")
                    .expression_attribute_values(":now", t(now))
                    .expression_attribute_values(":why", s(EXPOSED));
                meta = match note.url {
                    Some(url) => meta
                        .update_expression("SET revoked_at = :now, revoked_reason = :why, exposed_url = :url")
                        .expression_attribute_values(":url", s(url)),
                    None => meta.update_expression("SET revoked_at = :now, revoked_reason = :why"),
                };
                let auth = Update::builder()
                    .table_name(table)
                    .set_key(Some(auth_key(&key.hash)))
                    .update_expression("SET revoked_at = :now, revoked_reason = :why")
                    .condition_expression("attribute_exists(pk) AND attribute_not_exists(revoked_at)")
                    .expression_attribute_values(":now", t(now))
                    .expression_attribute_values(":why", s(EXPOSED))
                    .build()
                    .expect("table, key, expression set");
                vec![
                    TransactWriteItem::builder().update(meta.build().expect("table, key, expression set")).build(),
                    TransactWriteItem::builder().update(auth).build(),
                ]
            }
        };
        let mut items = items;
        items.push(self.audit_put(event));
        self.transact(items).await
    }

    /// `key` with what its revocation needs, read from its metadata item
    /// when its auth item is of an older shape.
    pub async fn revocable(&self, key: ExposedKey) -> Result<Revocable, StoreError> {
        let owner = match key.owner {
            ExposedOwner::Service { key_id } => RevocableOwner::Service { key_id },
            ExposedOwner::Tenant { account_id, key_id, listed: Some(listed) } => {
                RevocableOwner::Tenant { account_id, key_id, listed }
            }
            ExposedOwner::Tenant { account_id, key_id, listed: None } => {
                let record = self.get_key(&account_id, &key_id).await?;
                let listed = Listed { prefix: record.prefix, face: record.face, version: record.version };
                RevocableOwner::Tenant { account_id, key_id, listed }
            }
        };
        Ok(Revocable { hash: key.hash, owner })
    }

    /// One exposed key as its auth item says now (after a lost race).
    pub async fn exposed_key(&self, hash: &str) -> Result<Option<ExposedKey>, StoreError> {
        let found = self.get_main(auth_key(hash)).await?;
        found.as_ref().map(|item| read_exposed(item, Timestamp::now())).transpose()
    }
}

fn read_exposed(item: &Item, now: Timestamp) -> Result<ExposedKey, StoreError> {
    let r = Reader(item);
    let hash = r
        .s("pk")?
        .strip_prefix("KEY#")
        .map(str::to_string)
        .ok_or_else(|| StoreError::Corrupt("an auth item's key is not of its kind".into()))?;
    let owner = match r.opt_s("kind")?.as_deref() {
        Some(SERVICE_KIND) => ExposedOwner::Service { key_id: r.id("key_id", ServiceKeyId::parse)? },
        _ => ExposedOwner::Tenant {
            account_id: r.id("account_id", AccountId::parse)?,
            key_id: r.id("key_id", KeyId::parse)?,
            listed: match (r.opt_s("prefix")?, r.opt_s("face")?.and_then(|f| KeyFace::parse(&f)), item.get("version")) {
                (Some(prefix), Some(face), Some(_)) => Some(Listed { prefix, face, version: r.n("version")? }),
                _ => None,
            },
        },
    };
    let expired = r.opt_time("expires_at")?.is_some_and(|at| at <= now);
    Ok(ExposedKey { hash, owner, active: r.opt_time("revoked_at")?.is_none() && !expired })
}
