//! The sparse index of keys with an expiry, for the reminders: a key's
//! metadata item carries `expiry_pk` = `EXPIRES#<day it expires>` and
//! `expiry_sk` = `<expires_at>#<key id>` from when it is given an expiry
//! (created with one, or rotated away with an overlap). The daily run
//! reads the days ahead, never the table. A revoked key may stay in it; the
//! reminders skip it.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::super::attrs::{n, s, string_list, Item, Reader};
use super::super::{Store, StoreError};
use super::*;
use crate::audit::AuditEvent;

pub const EXPIRY_INDEX: &str = "key_expiry";

/// The index attributes of a key that expires at `at`.
pub(super) fn expiry_attributes(key_id: &KeyId, at: Timestamp) -> [(&'static str, AttributeValue); 2] {
    [("expiry_pk", s(expiry_day(at))), ("expiry_sk", s(format!("{at}#{key_id}")))]
}

fn expiry_day(at: Timestamp) -> String {
    let date = at.as_offset_date_time().date();
    format!("EXPIRES#{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// A key in the expiry index, with the reminders already sent for it.
#[derive(Clone, Debug)]
pub struct ExpiringKey {
    pub key: KeyRecord,
    pub reminders: Vec<String>,
}

impl Store {
    /// Keys of the expiry index that expire on the day of `day` (any time of it).
    pub async fn keys_expiring_on(&self, day: Timestamp) -> Result<Vec<ExpiringKey>, StoreError> {
        let items: Vec<Item> = self
            .client()
            .query()
            .table_name(&self.tables().main)
            .index_name(EXPIRY_INDEX)
            .key_condition_expression("expiry_pk = :day")
            .expression_attribute_values(":day", s(expiry_day(day)))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(StoreError::aws)?;
        items
            .iter()
            .map(|item| {
                let reminders = Reader(item).opt_string_list("reminders")?.unwrap_or_default();
                Ok(ExpiringKey { key: read_key(item)?, reminders })
            })
            .collect()
    }

    /// Marks `threshold`'s reminder (and `also`, the ones it makes moot) as
    /// sent for `key`, with its audit record: `ConditionFailed` when it was
    /// sent already, or the key changed or was revoked meanwhile.
    pub async fn mark_reminded(&self, key: &ExpiringKey, marks: &[&str], event: &AuditEvent) -> Result<(), StoreError> {
        let mut all: Vec<String> = key.reminders.clone();
        all.extend(marks.iter().map(|m| m.to_string()));
        let update = Update::builder()
            .table_name(&self.tables().main)
            .set_key(Some(meta_key(&key.key.account_id, &key.key.key_id)))
            .update_expression("SET reminders = :all")
            .condition_expression(
                "version = :version AND attribute_not_exists(revoked_at) AND \
                 (attribute_not_exists(reminders) OR size(reminders) = :seen)",
            )
            .expression_attribute_values(":all", string_list(&all))
            .expression_attribute_values(":version", n(key.key.version))
            .expression_attribute_values(":seen", n(key.reminders.len()))
            .build()
            .expect("table, key, expression set");
        self.transact(vec![TransactWriteItem::builder().update(update).build(), self.audit_put(event)]).await
    }
}
