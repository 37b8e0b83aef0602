//! The audit table: one item per event, keyed by account and time, with an
//! index by resource. Its stream carries every record to the consumer.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use time::OffsetDateTime;

use super::attrs::{s, string_list, Item, Reader};
use super::{Store, StoreError};
use crate::audit::AuditEvent;

/// The index that answers "events of one resource".
pub const BY_RESOURCE_INDEX: &str = "by_resource";

fn account_key(account_id: &str) -> String {
    format!("ACCOUNT#{account_id}")
}

fn resource_key(account_id: &str, resource_id: &str) -> String {
    format!("ACCOUNT#{account_id}#RESOURCE#{resource_id}")
}

fn event_key(event_id: &str) -> String {
    format!("EVENT#{event_id}")
}

/// A page of events, newest first.
#[derive(Debug)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// The event id to continue after, when there are more.
    pub next_cursor: Option<String>,
}

impl Store {
    /// The transaction item that writes `event` beside the change it records.
    pub(crate) fn audit_put(&self, event: &AuditEvent) -> TransactWriteItem {
        let mut item: Item = [
            ("pk", s(account_key(&event.account_id))),
            ("sk", s(event_key(&event.event_id))),
            ("resource_pk", s(resource_key(&event.account_id, &event.resource_id))),
            ("event_id", s(&event.event_id)),
            ("account_id", s(&event.account_id)),
            ("event_type", s(&event.event_type)),
            ("resource_type", s(&event.resource_type)),
            ("resource_id", s(&event.resource_id)),
            ("changed_fields", string_list(&event.changed_fields)),
            ("actor_key_id", s(&event.actor_key_id)),
            ("request_id", s(&event.request_id)),
            ("created_at", s(&event.created_at)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if let Some(prefix) = &event.key_prefix {
            item.insert("key_prefix".into(), s(prefix));
        }
        if let Some(related) = &event.related_resource_id {
            item.insert("related_resource_id".into(), s(related));
        }
        if let Some(outcome) = &event.outcome {
            item.insert("outcome".into(), s(outcome));
        }
        if let Some(purpose) = &event.purpose {
            item.insert("purpose".into(), s(purpose));
        }
        let put = Put::builder()
            .table_name(&self.tables().audit)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("table, item set");
        TransactWriteItem::builder().put(put).build()
    }

    /// Writes one audit record on its own (a record of use that changes
    /// nothing else, such as a resolve).
    pub async fn put_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.transact(vec![self.audit_put(event)]).await
    }

    /// Events of one account, newest first, narrowed by `filter`. `after`
    /// is the `event_id` of the last event of the previous page. Event ids
    /// are ULIDs, so a time window is a range of sort keys.
    pub async fn audit_events(
        &self,
        account_id: &str,
        filter: &AuditFilter<'_>,
        limit: usize,
        after: Option<&str>,
    ) -> Result<AuditPage, StoreError> {
        let from = filter.since.map_or("EVENT#".to_string(), |t| event_key(&ulid_at(t, 0).to_string()));
        // `~` sorts after every ULID character.
        let to = filter.until.map_or("EVENT#~".to_string(), |t| event_key(&ulid_at(t, u128::MAX).to_string()));
        let mut query = self
            .client()
            .query()
            .table_name(&self.tables().audit)
            .scan_index_forward(false)
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to));
        let (partition, partition_value) = match filter.resource_id {
            Some(resource_id) => {
                query = query.index_name(BY_RESOURCE_INDEX);
                ("resource_pk", resource_key(account_id, resource_id))
            }
            None => ("pk", account_key(account_id)),
        };
        query = query
            .key_condition_expression(format!("{partition} = :partition AND sk BETWEEN :from AND :to"))
            .expression_attribute_values(":partition", s(&partition_value));
        if let Some(event_type) = filter.event_type {
            query = query.filter_expression("event_type = :type").expression_attribute_values(":type", s(event_type));
        }
        let mut start = after.map(|event_id| {
            let mut key = Item::from([
                ("pk".to_string(), s(account_key(account_id))),
                ("sk".to_string(), s(event_key(event_id))),
            ]);
            if partition == "resource_pk" {
                key.insert("resource_pk".to_string(), s(&partition_value));
            }
            key
        });
        // One more than asked tells whether another page exists. A filter
        // is applied after DynamoDB's own limit, so a page may need several
        // reads to fill.
        let limit_plus_one = i32::try_from(limit + 1).unwrap_or(i32::MAX);
        let mut events = Vec::new();
        loop {
            let out = query.clone().set_exclusive_start_key(start.take()).limit(limit_plus_one).send().await;
            let out = out.map_err(StoreError::aws)?;
            for item in out.items() {
                events.push(read_event(item)?);
            }
            match out.last_evaluated_key {
                Some(key) if events.len() <= limit => start = Some(key),
                _ => break,
            }
        }
        let next_cursor = if events.len() > limit {
            events.truncate(limit);
            events.last().map(|e| e.event_id.clone())
        } else {
            None
        };
        Ok(AuditPage { events, next_cursor })
    }
}

/// What an audit listing is narrowed to.
#[derive(Debug, Default)]
pub struct AuditFilter<'a> {
    pub resource_id: Option<&'a str>,
    pub event_type: Option<&'a str>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

/// The ULID at time `at` with `random` as its random part.
fn ulid_at(at: OffsetDateTime, random: u128) -> ulid::Ulid {
    let millis = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    ulid::Ulid::from_parts(millis, random)
}

/// Reads an audit item, as stored in the table or carried by its stream.
pub fn read_event(item: &Item) -> Result<AuditEvent, StoreError> {
    let r = Reader(item);
    Ok(AuditEvent {
        event_id: r.s("event_id")?,
        account_id: r.s("account_id")?,
        event_type: r.s("event_type")?,
        resource_type: r.s("resource_type")?,
        resource_id: r.s("resource_id")?,
        changed_fields: r.string_list("changed_fields")?,
        key_prefix: r.opt_s("key_prefix")?,
        related_resource_id: r.opt_s("related_resource_id")?,
        outcome: r.opt_s("outcome")?,
        purpose: r.opt_s("purpose")?,
        actor_key_id: r.s("actor_key_id")?,
        request_id: r.s("request_id")?,
        created_at: r.s("created_at")?,
    })
}
