//! Platform service keys: their metadata under one partition of their own,
//! which no account's list reads; their auth items say `kind = service`.

use crate::domain::timestamp::Timestamp;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::super::attrs::{s, string_list, t, Reader};
use super::super::{Store, StoreError};
use super::*;
use crate::audit::AuditEvent;
use crate::domain::ids::ServiceKeyId;
use crate::domain::permission::Permission;

const SERVICE_KEYS_PK: &str = "SERVICE_KEYS";
pub(super) const SERVICE_KIND: &str = "service";

fn service_sk(key_id: &ServiceKeyId) -> String {
    format!("SERVICE_KEY#{key_id}")
}

/// The key of a service key's metadata item.
pub(super) fn service_meta_key(key_id: &ServiceKeyId) -> Item {
    item(vec![("pk", s(SERVICE_KEYS_PK)), ("sk", s(service_sk(key_id)))])
}

/// A platform service key's metadata. Never the key itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceKeyRecord {
    pub key_id: ServiceKeyId,
    pub key_hash: String,
    pub name: String,
    pub created_at: Timestamp,
    pub last_use: Option<crate::domain::key::KeyUse>,
    pub revoked_at: Option<Timestamp>,
    /// `exposed` for a key revoked as found in public, with where.
    pub revoked_reason: Option<String>,
    pub exposed_url: Option<String>,
}

impl Store {
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
            ("created_at", t(key.created_at)),
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
        let mut keys = items
            .iter()
            .map(|found| {
                let r = Reader(found);
                Ok(ServiceKeyRecord {
                    key_id: r.id("key_id", ServiceKeyId::parse)?,
                    key_hash: r.s("key_hash")?,
                    name: r.s("name")?,
                    created_at: r.time("created_at")?,
                    last_use: None,
                    revoked_at: r.opt_time("revoked_at")?,
                    revoked_reason: r.opt_s("revoked_reason")?,
                    exposed_url: r.opt_s("exposed_url")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut used = self.last_used(&keys.iter().map(|k| k.key_hash.as_str()).collect::<Vec<_>>()).await?;
        for key in &mut keys {
            key.last_use = used.remove(&key.key_hash);
        }
        Ok(keys)
    }

    /// Revokes a platform service key on both items; `NotFound` when there
    /// is no such key, `ConditionFailed` when it is revoked already.
    pub async fn revoke_service_key(
        &self,
        key_id: &ServiceKeyId,
        now: Timestamp,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let table = &self.tables().main;
        let meta_key = service_meta_key(key_id);
        let found = self.get_main(meta_key.clone()).await?.ok_or(StoreError::NotFound)?;
        let hash = Reader(&found).s("key_hash")?;
        let meta = Update::builder()
            .table_name(table)
            .set_key(Some(meta_key))
            .update_expression("SET revoked_at = :now")
            .condition_expression("attribute_not_exists(revoked_at)")
            .expression_attribute_values(":now", t(now))
            .build()
            .expect("table, key, expression set");
        let auth = Update::builder()
            .table_name(table)
            .key("pk", s(hash_pk(&hash)))
            .key("sk", s("KEY"))
            .update_expression("SET revoked_at = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", t(now))
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
