//! DynamoDB. Every mutation is one `TransactWriteItems` holding the change
//! (conditioned so that concurrent writers cannot lose each other's update)
//! and its audit record: no change without its record, no record without
//! its change.

mod attrs;
pub mod audit;
pub mod email_providers;
pub mod keys;
pub mod limits;
pub mod provider_credentials;
pub mod schema;
pub mod webhooks;

use std::sync::Arc;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

pub use attrs::Item;

/// Table names, from configuration.
#[derive(Clone, Debug)]
pub struct Tables {
    /// Accounts, keys and resources (single-table design).
    pub main: String,
    /// Audit records; its stream is the audit stream.
    pub audit: String,
}

#[derive(Clone, Debug)]
pub struct Store {
    ddb: aws_sdk_dynamodb::Client,
    tables: Arc<Tables>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("item not found")]
    NotFound,
    /// The transaction's condition on item `index` did not hold.
    #[error("condition failed on transaction item {index}")]
    ConditionFailed { index: usize },
    #[error("stored item is malformed: {0}")]
    Corrupt(String),
    /// DynamoDB timed out, throttled, or a transaction met another one in
    /// flight: worth a retry shortly.
    #[error("DynamoDB is unavailable: {0}")]
    Unavailable(String),
    #[error("DynamoDB call failed: {0}")]
    Aws(String),
}

impl StoreError {
    /// The error's code and message only: the raw response stays out of logs.
    pub(crate) fn aws<E>(err: SdkError<E, HttpResponse>) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
    {
        let described = crate::aws::describe(&err);
        if crate::aws::is_transient(&err) {
            StoreError::Unavailable(described)
        } else {
            StoreError::Aws(described)
        }
    }
}

/// Why a transaction was cancelled, from the codes of its items' reasons.
fn cancelled(codes: &[Option<&str>]) -> StoreError {
    if let Some(index) = codes.iter().position(|c| *c == Some("ConditionalCheckFailed")) {
        return StoreError::ConditionFailed { index };
    }
    // Another transaction in flight on the same item, or throttling: nothing
    // was written, and a retry shortly may pass.
    let transient = ["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"];
    if codes.iter().flatten().any(|c| transient.contains(c)) {
        return StoreError::Unavailable("transaction cancelled by a conflicting transaction or throttling".into());
    }
    StoreError::Aws(format!("transaction cancelled: {:?}", codes.iter().flatten().collect::<Vec<_>>()))
}

impl Store {
    pub fn new(ddb: aws_sdk_dynamodb::Client, tables: Tables) -> Self {
        Store { ddb, tables: Arc::new(tables) }
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.ddb
    }

    /// One item of the main table, read strongly consistent.
    pub(crate) async fn get_main(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.tables.main)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(out.item)
    }

    /// Every item of the main table under `pk` whose sort key starts with
    /// `prefix`, all pages, strongly consistent.
    pub(crate) async fn query_main(&self, pk: String, prefix: &str) -> Result<Vec<Item>, StoreError> {
        use attrs::s;
        self.ddb
            .query()
            .table_name(&self.tables.main)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(StoreError::aws)
    }

    /// Every item of the main table whose `attribute` is `value`, all pages:
    /// a scan of the whole table, for the operator's tools only.
    pub(crate) async fn scan_main(&self, attribute: &str, value: &str) -> Result<Vec<Item>, StoreError> {
        use attrs::s;
        self.ddb
            .scan()
            .table_name(&self.tables.main)
            .filter_expression("#attribute = :value")
            .expression_attribute_names("#attribute", attribute)
            .expression_attribute_values(":value", s(value))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(StoreError::aws)
    }

    /// Stores a connectivity test's outcome on an item (a record of use, not
    /// a configuration change: its version stays), with its audit record.
    pub(crate) async fn set_last_test(
        &self,
        key: Item,
        outcome: &crate::domain::connectivity::TestOutcome,
        event: &crate::audit::AuditEvent,
    ) -> Result<(), StoreError> {
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.tables.main)
            .set_key(Some(key))
            .update_expression("SET last_test = :outcome")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":outcome", attrs::s(serde_json::to_string(outcome).expect("serializable")))
            .build()
            .expect("table, key, expression set");
        match self.transact(vec![TransactWriteItem::builder().update(update).build(), self.audit_put(event)]).await {
            Err(StoreError::ConditionFailed { index: 0 }) => Err(StoreError::NotFound),
            other => other,
        }
    }

    /// Deletes the item at `key` if it is at `expected_version`, with the
    /// audit record of the deletion.
    pub(crate) async fn delete_versioned(
        &self,
        key: Item,
        expected_version: u64,
        event: &crate::audit::AuditEvent,
    ) -> Result<(), StoreError> {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.tables.main)
            .set_key(Some(key))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", attrs::n(expected_version))
            .build()
            .expect("table, key, condition set");
        self.transact(vec![TransactWriteItem::builder().delete(delete).build(), self.audit_put(event)]).await
    }

    /// A transaction item writing `item` into the main table as a new item
    /// (refused if one is there).
    pub(crate) fn put_new_main(&self, item: Item) -> TransactWriteItem {
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&self.tables.main)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("table, item set");
        TransactWriteItem::builder().put(put).build()
    }

    /// Writes all items or none. A failed condition is reported with the
    /// index of the item whose condition failed.
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        match self.ddb.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(ctx)) => match ctx.err() {
                TransactWriteItemsError::TransactionCanceledException(canceled) => {
                    let codes: Vec<Option<&str>> = canceled.cancellation_reasons().iter().map(|r| r.code()).collect();
                    Err(cancelled(&codes))
                }
                _ => Err(StoreError::aws(SdkError::ServiceError(ctx))),
            },
            Err(other) => Err(StoreError::aws(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellations_are_told_apart() {
        let none = Some("None");
        assert!(matches!(cancelled(&[none, Some("ConditionalCheckFailed")]), StoreError::ConditionFailed { index: 1 }));
        for transient in ["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"] {
            assert!(matches!(cancelled(&[Some(transient), none]), StoreError::Unavailable(_)), "{transient}");
        }
        assert!(matches!(cancelled(&[Some("ValidationError")]), StoreError::Aws(_)));
    }
}
