//! Backfills for keys written by older versions.

use crate::domain::timestamp::Timestamp;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

use super::super::attrs::s;
use super::super::{Store, StoreError};
use super::*;

impl Store {
    /// Keys made before the active-keys index: copies what lists show from
    /// each key's metadata onto its auth item, and puts the active ones in
    /// the index. Safe to run again (and while the service runs: a key
    /// changed meanwhile keeps its newer copy). Returns how many it wrote.
    pub async fn backfill_key_listings(&self) -> Result<usize, StoreError> {
        let metas = self.scan_main("entity", "api_key").await?;
        let now = Timestamp::now();
        let mut written = 0;
        for key in metas.iter().map(read_key) {
            let key = key?;
            let mut update =
                self.client().update_item().table_name(&self.tables().main).set_key(Some(auth_key(&key.key_hash)));
            let mut sets = Vec::new();
            for (name, value) in listing(&key) {
                sets.push(format!("#{name} = :{name}"));
                update = update
                    .expression_attribute_names(format!("#{name}"), name)
                    .expression_attribute_values(format!(":{name}"), value);
            }
            let mut set = sets.join(", ");
            // Only where no listing was written (`face` is the one field a
            // rename or a permission change does not write on this item).
            let mut condition = "attribute_exists(pk) AND attribute_not_exists(face)".to_string();
            if key.is_active(now) {
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

    /// Keys given an expiry before the expiry index: puts each active one
    /// there (for the reminders). Safe to run again; returns how many it wrote.
    pub async fn backfill_expiry_index(&self) -> Result<usize, StoreError> {
        let metas = self.scan_main("entity", "api_key").await?;
        let now = Timestamp::now();
        let mut written = 0;
        for (item, key) in metas.iter().map(|item| (item, read_key(item))) {
            let key = key?;
            let Some(at) = key.expires_at.filter(|_| key.is_active(now) && !item.contains_key("expiry_pk")) else {
                continue;
            };
            let [(_, expiry_pk), (_, expiry_sk)] = super::expiry::expiry_attributes(&key.key_id, at);
            let result = self
                .client()
                .update_item()
                .table_name(&self.tables().main)
                .set_key(Some(meta_key(&key.account_id, &key.key_id)))
                .update_expression("SET expiry_pk = :pk, expiry_sk = :sk")
                .condition_expression("expires_at = :at AND attribute_not_exists(revoked_at)")
                .expression_attribute_values(":pk", expiry_pk)
                .expression_attribute_values(":sk", expiry_sk)
                .expression_attribute_values(":at", s(at.to_string()))
                .send()
                .await;
            match result {
                Ok(_) => written += 1,
                Err(err)
                    if err.as_service_error().is_some_and(UpdateItemError::is_conditional_check_failed_exception) => {}
                Err(err) => return Err(StoreError::aws(err)),
            }
        }
        Ok(written)
    }
}
