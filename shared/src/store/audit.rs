//! The audit table: one item per event, keyed by account and time, with an
//! index by resource in the order of the resource's versions. Its stream
//! carries every record to the consumer.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use time::OffsetDateTime;

use super::attrs::{n, s, string_list, t, Item, Reader};
use super::{Store, StoreError};
use crate::audit::AuditEvent;

/// The index that answers "events of one resource", by `resource_seq`:
/// its version, then its event id. A resource's versions are written under
/// a condition on the one before, so this is the order of its commits,
/// whatever the writers' clocks (event ids are taken before the commit, so
/// two racing writers' ids can come out in either order).
pub const BY_RESOURCE_INDEX: &str = "by_resource_version";

fn account_key(account_id: &str) -> String {
    format!("ACCOUNT#{account_id}")
}

fn resource_key(account_id: &str, resource_id: &str) -> String {
    format!("ACCOUNT#{account_id}#RESOURCE#{resource_id}")
}

fn event_key(event_id: &str) -> String {
    format!("EVENT#{event_id}")
}

/// A record's place among its resource's records. Records from before
/// versions were recorded are version 0: they came before every other.
fn resource_seq(version: Option<u64>, event_id: &str) -> String {
    format!("{:020}#{event_id}", version.unwrap_or(0))
}

/// Where a listing goes on: after the event `event_id` (a ULID), which in a
/// listing by resource sits at `version`. Written as the event id, or as
/// `<version>-<event id>` for a listing by resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCursor {
    pub version: Option<u64>,
    pub event_id: String,
}

impl AuditCursor {
    pub fn parse(raw: &str) -> Option<AuditCursor> {
        let (version, event_id) = match raw.split_once('-') {
            Some((version, event_id)) => (Some(version.parse().ok()?), event_id),
            None => (None, raw),
        };
        let event_id = ulid::Ulid::from_string(event_id).ok()?.to_string();
        Some(AuditCursor { version, event_id })
    }

    /// The cursor that goes on after `event` in a listing by resource, or
    /// of the whole account.
    pub fn after(event: &AuditEvent, by_resource: bool) -> AuditCursor {
        AuditCursor { version: by_resource.then(|| event.version.unwrap_or(0)), event_id: event.event_id.clone() }
    }
}

impl std::fmt::Display for AuditCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.version {
            Some(version) => write!(f, "{version}-{}", self.event_id),
            None => f.write_str(&self.event_id),
        }
    }
}

impl Store {
    /// The transaction item that writes `event` beside the change it records.
    pub(crate) fn audit_put(&self, event: &AuditEvent) -> TransactWriteItem {
        let mut item: Item = [
            ("pk", s(account_key(&event.account_id))),
            ("sk", s(event_key(&event.event_id))),
            ("resource_pk", s(resource_key(&event.account_id, &event.resource_id))),
            ("resource_seq", s(resource_seq(event.version, &event.event_id))),
            ("event_id", s(&event.event_id)),
            ("account_id", s(&event.account_id)),
            ("event_type", s(&event.event_type)),
            ("resource_type", s(&event.resource_type)),
            ("resource_id", s(&event.resource_id)),
            ("changed_fields", string_list(&event.changed_fields)),
            ("actor_key_id", s(&event.actor_key_id)),
            ("request_id", s(&event.request_id)),
            ("created_at", t(event.created_at)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if let Some(version) = event.version {
            item.insert("version".into(), n(version));
        }
        if let Some(prefix) = &event.key_prefix {
            item.insert("key_prefix".into(), s(prefix));
        }
        if let Some(face) = &event.key_face {
            item.insert("key_face".into(), s(face));
        }
        if let Some(at) = event.expires_at {
            item.insert("expires_at".into(), t(at));
        }
        if let Some(related) = &event.related_resource_id {
            item.insert("related_resource_id".into(), s(related));
        }
        if let Some(at) = event.old_key_expires_at {
            item.insert("old_key_expires_at".into(), t(at));
        }
        if let Some(url) = &event.url {
            item.insert("url".into(), s(url));
        }
        if let Some(source) = &event.source {
            item.insert("source".into(), s(source));
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

    /// Up to `want` events of one account, newest first, narrowed by
    /// `filter`; `after` is the previous page's cursor. Without a resource, newest means by
    /// time (event ids are ULIDs, so a time window is a range of sort keys);
    /// for one resource, by its versions (the order of its commits), a time
    /// window then filtering. A cursor outside the window is applied within
    /// it: the events older than the cursor that are inside the window
    /// (the whole window, or nothing).
    pub async fn audit_events(
        &self,
        account_id: &str,
        filter: &AuditFilter<'_>,
        want: usize,
        after: Option<&AuditCursor>,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let from = filter.since.map_or("EVENT#".to_string(), |t| event_key(&ulid_at(t, 0).to_string()));
        // `~` sorts after every ULID character.
        let to = filter.until.map_or("EVENT#~".to_string(), |t| event_key(&ulid_at(t, u128::MAX).to_string()));
        let mut query = self
            .client()
            .query()
            .table_name(&self.tables().audit)
            .scan_index_forward(false)
            .expression_attribute_values(":from", s(&from))
            .expression_attribute_values(":to", s(&to));
        let mut start = None;
        match filter.resource_id {
            Some(resource_id) => {
                let partition = resource_key(account_id, resource_id);
                query = query
                    .index_name(BY_RESOURCE_INDEX)
                    .key_condition_expression("resource_pk = :partition")
                    .expression_attribute_values(":partition", s(&partition))
                    .filter_expression("sk BETWEEN :from AND :to");
                if let Some(after) = after {
                    start = Some(Item::from([
                        ("pk".to_string(), s(account_key(account_id))),
                        ("sk".to_string(), s(event_key(&after.event_id))),
                        ("resource_pk".to_string(), s(partition)),
                        ("resource_seq".to_string(), s(resource_seq(after.version, &after.event_id))),
                    ]));
                }
            }
            None => {
                query = query
                    .key_condition_expression("pk = :partition AND sk BETWEEN :from AND :to")
                    .expression_attribute_values(":partition", s(account_key(account_id)));
                if let Some(after) = after {
                    let cursor_key = event_key(&after.event_id);
                    if cursor_key <= from {
                        return Ok(Vec::new());
                    }
                    // A cursor newer than the window starts at its top.
                    if cursor_key <= to {
                        start = Some(Item::from([
                            ("pk".to_string(), s(account_key(account_id))),
                            ("sk".to_string(), s(cursor_key)),
                        ]));
                    }
                }
            }
        }
        if let Some(event_type) = filter.event_type {
            let narrowed = match filter.resource_id {
                Some(_) => "sk BETWEEN :from AND :to AND event_type = :type",
                None => "event_type = :type",
            };
            query = query.filter_expression(narrowed).expression_attribute_values(":type", s(event_type));
        }
        // A filter is applied after DynamoDB's own limit, so a page may
        // need several reads to fill.
        let mut events = Vec::new();
        loop {
            let limit = i32::try_from(want - events.len()).unwrap_or(i32::MAX);
            let out = query.clone().set_exclusive_start_key(start.take()).limit(limit).send().await;
            let out = out.map_err(StoreError::aws)?;
            for item in out.items() {
                events.push(read_event(item)?);
            }
            match out.last_evaluated_key {
                Some(key) if events.len() < want => start = Some(key),
                _ => break,
            }
        }
        events.truncate(want);
        Ok(events)
    }

    /// Records written before versions were: gives each its place in the
    /// index by resource (version 0, by time, before every later record).
    /// Safe to run again, and while the service runs. Returns how many it
    /// wrote.
    pub async fn backfill_audit_order(&self) -> Result<usize, StoreError> {
        let mut pages = self
            .client()
            .scan()
            .table_name(&self.tables().audit)
            .filter_expression("attribute_not_exists(resource_seq)")
            .into_paginator()
            .items()
            .send();
        let mut written = 0;
        while let Some(item) = pages.next().await {
            let item = item.map_err(StoreError::aws)?;
            let r = Reader(&item);
            let event_id = r.s("event_id")?;
            let result = self
                .client()
                .update_item()
                .table_name(&self.tables().audit)
                .key("pk", s(r.s("pk")?))
                .key("sk", s(r.s("sk")?))
                .update_expression("SET resource_seq = :seq")
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(resource_seq)")
                .expression_attribute_values(":seq", s(resource_seq(None, &event_id)))
                .send()
                .await;
            match result {
                Ok(_) => written += 1,
                Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
                Err(err) => return Err(StoreError::aws(err)),
            }
        }
        Ok(written)
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
        key_face: r.opt_s("key_face")?,
        expires_at: r.opt_time("expires_at")?,
        related_resource_id: r.opt_s("related_resource_id")?,
        old_key_expires_at: r.opt_time("old_key_expires_at")?,
        url: r.opt_s("url")?,
        source: r.opt_s("source")?,
        outcome: r.opt_s("outcome")?,
        purpose: r.opt_s("purpose")?,
        version: match item.get("version") {
            Some(_) => Some(r.n("version")?),
            None => None,
        },
        actor_key_id: r.s("actor_key_id")?,
        request_id: r.s("request_id")?,
        created_at: r.time("created_at")?,
    })
}
